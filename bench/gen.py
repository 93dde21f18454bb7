#!/usr/bin/env python3
"""Deterministic benchmark dataset for lockstep (standard library only).

Writes files; bench/run.sh feeds them to the MariaDB client,
bench/run-postgres.sh (--engine postgres) to psql.

  gen.py base    --rows N --dir D [--engine mysql|postgres]
      D/schema.sql   CREATE TABLE for the six tables (with their foreign keys)
      D/load.sql     LOAD DATA LOCAL INFILE for each table, parents first
                     (PostgreSQL: psql's \copy, then the identity counters)
      D/<table>.tsv  the rows (about N in all; job_orders about 60%)

  gen.py diverge --rows N --dir D --profile dense|sparse [--engine ...]
      D/diverge-<profile>.sql   turns a copy of the base data into a drifted
                                "local" database: rows updated, rows the
                                source does not have (extra), rows missing
      D/diverge-<profile>.json  how many rows of each kind, per table

Both engines get the same rows (same seeds): the PostgreSQL schema maps
each MariaDB type to its nearest PostgreSQL one (JSON to jsonb and json,
BLOB to bytea, DATETIME(6) to timestamp(6), ENUM to varchar + CHECK).

Profiles (fractions of each table's rows):
  dense   1% updated, 1% extra (0.5% "deleted at the source since the copy"
          + 0.5% "created locally"; both are rows a sync must delete),
          0.5% missing (deleted locally; leaf tables only)   = 2.5% differing
  sparse  the same shape scaled to 0.04% differing

Foreign keys stay consistent in every state: missing rows are taken only from
leaf tables (nothing references them) and extra rows reference existing
parents, so a tool that keeps FK checks on can sync in dependency order.
Same --rows, same bytes: every table has its own fixed seed.
"""

import argparse
import datetime
import json
import os
import random

SEED = 20240611

# share of --rows per table, parents first (load order)
SHARES = [
    ("auth_user", 0.05),
    ("client_accounts", 0.02),
    ("subscriber_accounts", 0.10),
    ("subscriber_subscription", 0.15),
    ("job_orders", 0.60),
    ("helpdesk_ticket", 0.08),
]
LEAVES = {"subscriber_subscription", "job_orders", "helpdesk_ticket"}

SCHEMA = """\
CREATE TABLE auth_user (
  id INT NOT NULL AUTO_INCREMENT,
  username VARCHAR(150) NOT NULL,
  email VARCHAR(254) NOT NULL,
  first_name VARCHAR(150) NOT NULL DEFAULT '',
  last_name VARCHAR(150) NOT NULL DEFAULT '',
  is_staff TINYINT(1) NOT NULL DEFAULT 0,
  is_active TINYINT(1) NOT NULL DEFAULT 1,
  date_joined DATETIME(6) NOT NULL,
  last_login DATETIME(6) NULL,
  profile JSON NULL,
  PRIMARY KEY (id),
  UNIQUE KEY auth_user_username (username)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE client_accounts (
  id INT NOT NULL AUTO_INCREMENT,
  name VARCHAR(200) NOT NULL,
  vat_number VARCHAR(32) NULL,
  credit_limit DECIMAL(12,2) NOT NULL DEFAULT 0.00,
  logo BLOB NULL,
  created_at DATETIME(6) NOT NULL,
  PRIMARY KEY (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE subscriber_accounts (
  id INT NOT NULL AUTO_INCREMENT,
  account_number VARCHAR(20) NOT NULL,
  display_name VARCHAR(200) NOT NULL,
  balance DOUBLE NOT NULL DEFAULT 0,
  country CHAR(2) NULL,
  notes TEXT NULL,
  avatar BLOB NULL,
  created_at DATETIME(6) NOT NULL,
  PRIMARY KEY (id),
  UNIQUE KEY subscriber_accounts_number (account_number)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE subscriber_subscription (
  id INT NOT NULL AUTO_INCREMENT,
  subscriber_id INT NOT NULL,
  user_id INT NULL,
  plan VARCHAR(32) NOT NULL,
  price DECIMAL(12,2) NOT NULL,
  starts_on DATE NOT NULL,
  ends_on DATE NULL,
  options JSON NULL,
  PRIMARY KEY (id),
  KEY subscription_subscriber (subscriber_id),
  KEY subscription_user (user_id),
  CONSTRAINT subscription_subscriber_fk FOREIGN KEY (subscriber_id)
    REFERENCES subscriber_accounts (id) ON DELETE CASCADE,
  CONSTRAINT subscription_user_fk FOREIGN KEY (user_id)
    REFERENCES auth_user (id) ON DELETE SET NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE job_orders (
  id BIGINT NOT NULL AUTO_INCREMENT,
  order_ref CHAR(36) NOT NULL,
  client_id INT NOT NULL,
  created_by INT NULL,
  amount DECIMAL(12,2) NOT NULL,
  status ENUM('new','in_progress','done','cancelled') NOT NULL DEFAULT 'new',
  payload JSON NULL,
  attachment BLOB NULL,
  description TEXT NULL,
  created_at DATETIME(6) NOT NULL,
  updated_at DATETIME(6) NULL,
  PRIMARY KEY (id),
  UNIQUE KEY job_orders_ref (order_ref),
  KEY job_orders_client (client_id),
  KEY job_orders_creator (created_by),
  CONSTRAINT job_orders_client_fk FOREIGN KEY (client_id)
    REFERENCES client_accounts (id),
  CONSTRAINT job_orders_creator_fk FOREIGN KEY (created_by)
    REFERENCES auth_user (id) ON DELETE SET NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE helpdesk_ticket (
  id INT NOT NULL AUTO_INCREMENT,
  subscriber_id INT NOT NULL,
  assignee_id INT NULL,
  subject VARCHAR(255) NOT NULL,
  body TEXT NOT NULL,
  priority TINYINT NOT NULL DEFAULT 3,
  opened_at DATETIME(6) NOT NULL,
  closed_at DATETIME(6) NULL,
  PRIMARY KEY (id),
  KEY helpdesk_subscriber (subscriber_id),
  KEY helpdesk_assignee (assignee_id),
  CONSTRAINT helpdesk_subscriber_fk FOREIGN KEY (subscriber_id)
    REFERENCES subscriber_accounts (id) ON DELETE CASCADE,
  CONSTRAINT helpdesk_assignee_fk FOREIGN KEY (assignee_id)
    REFERENCES auth_user (id) ON DELETE SET NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
"""

SCHEMA_PG = """\
CREATE TABLE auth_user (
  id integer GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
  username varchar(150) NOT NULL,
  email varchar(254) NOT NULL,
  first_name varchar(150) NOT NULL DEFAULT '',
  last_name varchar(150) NOT NULL DEFAULT '',
  is_staff boolean NOT NULL DEFAULT false,
  is_active boolean NOT NULL DEFAULT true,
  date_joined timestamp(6) NOT NULL,
  last_login timestamp(6) NULL,
  profile jsonb NULL,
  CONSTRAINT auth_user_username UNIQUE (username)
);

CREATE TABLE client_accounts (
  id integer GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
  name varchar(200) NOT NULL,
  vat_number varchar(32) NULL,
  credit_limit numeric(12,2) NOT NULL DEFAULT 0.00,
  logo bytea NULL,
  created_at timestamp(6) NOT NULL
);

CREATE TABLE subscriber_accounts (
  id integer GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
  account_number varchar(20) NOT NULL,
  display_name varchar(200) NOT NULL,
  balance double precision NOT NULL DEFAULT 0,
  country char(2) NULL,
  notes text NULL,
  avatar bytea NULL,
  created_at timestamp(6) NOT NULL,
  CONSTRAINT subscriber_accounts_number UNIQUE (account_number)
);

CREATE TABLE subscriber_subscription (
  id integer GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
  subscriber_id integer NOT NULL
    CONSTRAINT subscription_subscriber_fk REFERENCES subscriber_accounts (id) ON DELETE CASCADE,
  user_id integer NULL
    CONSTRAINT subscription_user_fk REFERENCES auth_user (id) ON DELETE SET NULL,
  plan varchar(32) NOT NULL,
  price numeric(12,2) NOT NULL,
  starts_on date NOT NULL,
  ends_on date NULL,
  options jsonb NULL
);
CREATE INDEX subscription_subscriber ON subscriber_subscription (subscriber_id);
CREATE INDEX subscription_user ON subscriber_subscription (user_id);

CREATE TABLE job_orders (
  id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
  order_ref char(36) NOT NULL,
  client_id integer NOT NULL
    CONSTRAINT job_orders_client_fk REFERENCES client_accounts (id),
  created_by integer NULL
    CONSTRAINT job_orders_creator_fk REFERENCES auth_user (id) ON DELETE SET NULL,
  amount numeric(12,2) NOT NULL,
  status varchar(16) NOT NULL DEFAULT 'new'
    CONSTRAINT job_orders_status CHECK (status IN ('new', 'in_progress', 'done', 'cancelled')),
  payload json NULL,
  attachment bytea NULL,
  description text NULL,
  created_at timestamp(6) NOT NULL,
  updated_at timestamp(6) NULL,
  CONSTRAINT job_orders_ref UNIQUE (order_ref)
);
CREATE INDEX job_orders_client ON job_orders (client_id);
CREATE INDEX job_orders_creator ON job_orders (created_by);

CREATE TABLE helpdesk_ticket (
  id integer GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
  subscriber_id integer NOT NULL
    CONSTRAINT helpdesk_subscriber_fk REFERENCES subscriber_accounts (id) ON DELETE CASCADE,
  assignee_id integer NULL
    CONSTRAINT helpdesk_assignee_fk REFERENCES auth_user (id) ON DELETE SET NULL,
  subject varchar(255) NOT NULL,
  body text NOT NULL,
  priority smallint NOT NULL DEFAULT 3,
  opened_at timestamp(6) NOT NULL,
  closed_at timestamp(6) NULL
);
CREATE INDEX helpdesk_subscriber ON helpdesk_ticket (subscriber_id);
CREATE INDEX helpdesk_assignee ON helpdesk_ticket (assignee_id);
"""

# column lists for LOAD DATA; a leading '@' marks a blob sent as hex
COLUMNS = {
    "auth_user": "id username email first_name last_name is_staff is_active "
    "date_joined last_login profile",
    "client_accounts": "id name vat_number credit_limit @logo created_at",
    "subscriber_accounts": "id account_number display_name balance country "
    "notes @avatar created_at",
    "subscriber_subscription": "id subscriber_id user_id plan price starts_on "
    "ends_on options",
    "job_orders": "id order_ref client_id created_by amount status payload "
    "@attachment description created_at updated_at",
    "helpdesk_ticket": "id subscriber_id assignee_id subject body priority "
    "opened_at closed_at",
}

# one change per differing row, so every updated row really differs
UPDATES = {
    "auth_user": "email = CONCAT('changed.', email), is_active = 1 - is_active",
    "client_accounts": "credit_limit = credit_limit + 10.00",
    "subscriber_accounts": "display_name = CONCAT(display_name, ' ✎'), "
    "balance = balance + 0.5",
    "subscriber_subscription": "price = price + 1.00, "
    "options = JSON_SET(COALESCE(options, '{}'), '$.edited', true)",
    "job_orders": "amount = amount + 0.01, "
    "status = IF(status = 'done', 'new', 'done'), "
    "description = CONCAT(COALESCE(description, ''), ' [edited]')",
    "helpdesk_ticket": "priority = (priority % 5) + 1, "
    "body = CONCAT(body, ' [edited 🛠]')",
}

# the same changes in PostgreSQL's terms
UPDATES_PG = dict(UPDATES, **{
    "auth_user": "email = 'changed.' || email, is_active = NOT is_active",
    "subscriber_accounts": "display_name = display_name || ' ✎', balance = balance + 0.5",
    "subscriber_subscription": "price = price + 1.00, "
    "options = COALESCE(options, '{}') || '{\"edited\": true}'",
    "job_orders": "amount = amount + 0.01, "
    "status = CASE WHEN status = 'done' THEN 'new' ELSE 'done' END, "
    "description = COALESCE(description, '') || ' [edited]'",
    "helpdesk_ticket": "priority = (priority % 5) + 1, body = body || ' [edited 🛠]'",
})

PROFILES = {
    # fractions of each table: updated, extra (local only), missing (leaf only)
    "dense": (0.01, 0.01, 0.005),
    "sparse": (0.01 * 0.016, 0.01 * 0.016, 0.005 * 0.016),
}

FIRST = ["José", "Zoë", "Łukasz", "Ana", "Mårten", "Chloé", "Dmitrï", "李", "Aoife",
         "O'Brien", "Sørina", "Nguyễn", "Émile", "Jürgen", "Priya", "Ωmega"]
LAST = ["García", "Müller", "Ng", "D'Souza", "Øster", "Smith", "Ivanova", "王",
        "Kowalski", "Dubois", "Ferreira", "Çelik", "Yılmaz", "Brown"]
WORDS = ["alpha", "beta", "route", "fibre", "modem", "router", "invoice",
         "upgrade", "outage", "billing", "latency", "install", "speed",
         "contract", "refund", "ticket", "node", "tower"]
EMOJI = ["😀", "🚀", "✅", "🎉", "💾", "🔥", "🌍", "📡", "🧾", "⚡"]
PLANS = ["basic", "standard", "premium", "fibre-100", "fibre-1000", "business"]
STATUSES = ["new", "in_progress", "done", "cancelled"]
COUNTRIES = ["IE", "FR", "DE", "PL", "ES", "PT", "CN", "VN", "TR", "NO"]
EPOCH = datetime.datetime(2018, 1, 1)


def esc(s):
    """A text field for LOAD DATA (tab separated, backslash escapes)."""
    if s is None:
        return "\\N"
    return (s.replace("\\", "\\\\").replace("\t", "\\t")
            .replace("\n", "\\n").replace("\r", "\\r"))


def ts(rng, span_days=2000):
    d = EPOCH + datetime.timedelta(seconds=rng.randrange(span_days * 86400),
                                   microseconds=rng.randrange(1000000))
    return d.strftime("%Y-%m-%d %H:%M:%S.%f")


def day(rng):
    return (EPOCH.date() + datetime.timedelta(days=rng.randrange(2500))).isoformat()


def money(rng, hi):
    return "%d.%02d" % (rng.randrange(hi), rng.randrange(100))


def blob(rng, null_share, lo, hi):
    if rng.random() < null_share:
        return "\\N"
    return rng.randbytes(rng.randrange(lo, hi)).hex()


def sentence(rng, n):
    words = [rng.choice(WORDS) for _ in range(n)]
    if rng.random() < 0.3:
        words.append(rng.choice(EMOJI))
    return " ".join(words)


def fk(rng, count, null_share=0.0):
    if null_share and rng.random() < null_share:
        return "\\N"
    return str(rng.randrange(1, count + 1))


def row_auth_user(rng, i, n):
    first, last = rng.choice(FIRST), rng.choice(LAST)
    profile = {"theme": rng.choice(["dark", "light"]), "lang": rng.choice(COUNTRIES).lower(),
               "tags": [rng.choice(WORDS) for _ in range(rng.randrange(4))]}
    return [str(i), esc("user%d_%s" % (i, rng.choice(WORDS))),
            esc("%s.%d@example.com" % (last.lower().replace("'", ""), i)),
            esc(first), esc(last), str(int(rng.random() < 0.05)),
            str(int(rng.random() < 0.9)), ts(rng),
            ts(rng) if rng.random() < 0.8 else "\\N",
            esc(json.dumps(profile, ensure_ascii=False))]


def row_client_accounts(rng, i, n):
    return [str(i), esc("Client %d — %s %s" % (i, rng.choice(WORDS).title(), rng.choice(EMOJI))),
            esc("VAT%09d" % rng.randrange(10 ** 9)) if rng.random() < 0.7 else "\\N",
            money(rng, 10 ** 10), blob(rng, 0.5, 0, 256), ts(rng)]


def row_subscriber_accounts(rng, i, n):
    notes = None
    if rng.random() < 0.6:
        notes = sentence(rng, rng.randrange(3, 30))
        if rng.random() < 0.2:
            notes += '\n"quoted"\tand a backslash \\ and \'single\''
    return [str(i), "SA%010d" % i,
            esc("%s %s %s" % (rng.choice(FIRST), rng.choice(LAST), rng.choice(EMOJI))),
            repr(round(rng.uniform(-1000, 100000), 4)),
            rng.choice(COUNTRIES) if rng.random() < 0.9 else "\\N",
            esc(notes), blob(rng, 0.4, 0, 512), ts(rng)]


def row_subscriber_subscription(rng, i, n):
    options = {"auto_renew": rng.random() < 0.5, "speed": rng.choice([100, 500, 1000]),
               "addons": [rng.choice(WORDS) for _ in range(rng.randrange(3))]}
    return [str(i), fk(rng, n["subscriber_accounts"]), fk(rng, n["auth_user"], 0.3),
            rng.choice(PLANS), money(rng, 1000), day(rng),
            day(rng) if rng.random() < 0.4 else "\\N",
            esc(json.dumps(options)) if rng.random() < 0.9 else "\\N"]


def row_job_orders(rng, i, n):
    payload = {"lines": [{"sku": "SKU-%05d" % rng.randrange(100000), "qty": rng.randrange(1, 9)}
                         for _ in range(rng.randrange(1, 4))],
               "note": sentence(rng, rng.randrange(1, 6))}
    u = "%032x" % rng.getrandbits(128)
    return [str(i), "%s-%s-%s-%s-%s" % (u[:8], u[8:12], u[12:16], u[16:20], u[20:]),
            fk(rng, n["client_accounts"]), fk(rng, n["auth_user"], 0.1),
            money(rng, 10 ** 6), rng.choice(STATUSES),
            esc(json.dumps(payload, ensure_ascii=False)), blob(rng, 0.9, 16, 128),
            esc(sentence(rng, rng.randrange(2, 20))) if rng.random() < 0.95 else "\\N",
            ts(rng), ts(rng) if rng.random() < 0.5 else "\\N"]


def row_helpdesk_ticket(rng, i, n):
    body = sentence(rng, rng.randrange(5, 60))
    if rng.random() < 0.1:
        body += "\n\n-- \nsent from my phone 📱"
    return [str(i), fk(rng, n["subscriber_accounts"]), fk(rng, n["auth_user"], 0.25),
            esc("%s %s" % (rng.choice(WORDS).title(), sentence(rng, rng.randrange(1, 6)))),
            esc(body), str(rng.randrange(1, 6)), ts(rng),
            ts(rng) if rng.random() < 0.6 else "\\N"]


ROWS = {name: globals()["row_" + name] for name, _ in SHARES}


def counts(rows):
    return {name: max(10, int(rows * share)) for name, share in SHARES}


def write_tsv(path, name, ids, seed, n, engine):
    rng = random.Random(seed)
    make = ROWS[name]
    # PostgreSQL's COPY reads a bytea as text: hex after "\x" (escaped)
    blobs = [k for k, c in enumerate(COLUMNS[name].split()) if c.startswith("@")]
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        chunk = []
        for i in ids:
            row = make(rng, i, n)
            if engine == "postgres":
                for k in blobs:
                    if row[k] != "\\N":
                        row[k] = "\\\\x" + row[k]
            chunk.append("\t".join(row))
            if len(chunk) >= 5000:
                f.write("\n".join(chunk) + "\n")
                chunk = []
        if chunk:
            f.write("\n".join(chunk) + "\n")


def load_sql(name, path, engine):
    if engine == "postgres":
        cols = ", ".join(c.lstrip("@") for c in COLUMNS[name].split())
        return "\\copy %s (%s) FROM '%s'\n" % (name, cols, path)
    cols, sets = [], []
    for c in COLUMNS[name].split():
        if c.startswith("@"):
            cols.append(c)
            sets.append("`%s` = UNHEX(%s)" % (c[1:], c))
        else:
            cols.append("`%s`" % c)
    sql = ("LOAD DATA LOCAL INFILE '%s' INTO TABLE `%s` CHARACTER SET utf8mb4 "
           "FIELDS TERMINATED BY '\\t' ESCAPED BY '\\\\' LINES TERMINATED BY '\\n' (%s)"
           % (path, name, ", ".join(cols)))
    if sets:
        sql += " SET " + ", ".join(sets)
    return sql + ";\n"


# what turns foreign key checks off and on for a load
FK_OFF = {"mysql": "SET foreign_key_checks = 0;\n",
          "postgres": "SET session_replication_role = replica;\n"}
FK_ON = {"mysql": "SET foreign_key_checks = 1;\n",
         "postgres": "SET session_replication_role = origin;\n"}


def base(args):
    n = counts(args.rows)
    pg = args.engine == "postgres"
    with open(os.path.join(args.dir, "schema.sql"), "w", encoding="utf-8") as f:
        f.write(SCHEMA_PG if pg else SCHEMA)
    with open(os.path.join(args.dir, "load.sql"), "w", encoding="utf-8") as f:
        f.write(FK_OFF[args.engine] if pg else "SET foreign_key_checks = 0, unique_checks = 0;\n")
        for k, (name, _) in enumerate(SHARES):
            path = os.path.abspath(os.path.join(args.dir, name + ".tsv"))
            write_tsv(path, name, range(1, n[name] + 1), SEED + k, n, args.engine)
            f.write(load_sql(name, path, args.engine))
        if pg:
            # an application's own inserts continue after the loaded ids
            for name, _ in SHARES:
                f.write("SELECT setval(pg_get_serial_sequence('%s', 'id'), max(id)) FROM %s;\n"
                        % (name, name))
            f.write(FK_ON[args.engine])
    print(json.dumps({"rows": sum(n.values()), "tables": n}))


def id_list(ids):
    return ",".join(str(i) for i in sorted(ids))


def diverge(args):
    n = counts(args.rows)
    upd, extra, miss = PROFILES[args.profile]
    updates = UPDATES_PG if args.engine == "postgres" else UPDATES
    quote = "" if args.engine == "postgres" else "`"
    out, summary = [], {}
    out.append(FK_OFF[args.engine])
    for k, (name, _) in enumerate(SHARES):
        rng = random.Random("%s-%s-%d" % (args.profile, name, SEED))
        total = n[name]
        n_upd = max(1, round(total * upd))
        n_miss = round(total * miss) if name in LEAVES else 0
        n_extra = round(total * extra)
        chosen = rng.sample(range(1, total + 1), n_upd + n_miss)
        updated, missing = chosen[:n_upd], chosen[n_upd:]
        table = quote + name + quote
        for j in range(0, len(updated), 5000):
            out.append("UPDATE %s SET %s WHERE id IN (%s);\n"
                       % (table, updates[name], id_list(updated[j:j + 5000])))
        for j in range(0, len(missing), 5000):
            out.append("DELETE FROM %s WHERE id IN (%s);\n"
                       % (table, id_list(missing[j:j + 5000])))
        if n_extra:
            path = os.path.abspath(os.path.join(args.dir, "extra-%s-%s.tsv" % (args.profile, name)))
            write_tsv(path, name, range(total + 1, total + n_extra + 1), SEED + 1000 + k, n,
                      args.engine)
            out.append(load_sql(name, path, args.engine))
        summary[name] = {"rows": total, "updated": n_upd, "extra": n_extra, "missing": n_miss}
    out.append(FK_ON[args.engine])
    with open(os.path.join(args.dir, "diverge-%s.sql" % args.profile), "w", encoding="utf-8") as f:
        f.writelines(out)
    differing = sum(v["updated"] + v["extra"] + v["missing"] for v in summary.values())
    doc = {"profile": args.profile, "differing_rows": differing, "tables": summary}
    with open(os.path.join(args.dir, "diverge-%s.json" % args.profile), "w") as f:
        json.dump(doc, f, indent=1)
    print(json.dumps({"profile": args.profile, "differing_rows": differing}))


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("command", choices=["base", "diverge"])
    p.add_argument("--rows", type=int, default=1000000)
    p.add_argument("--dir", required=True)
    p.add_argument("--profile", choices=sorted(PROFILES), default="dense")
    p.add_argument("--engine", choices=["mysql", "postgres"], default="mysql")
    args = p.parse_args()
    os.makedirs(args.dir, exist_ok=True)
    base(args) if args.command == "base" else diverge(args)


if __name__ == "__main__":
    main()
