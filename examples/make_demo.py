#!/usr/bin/env python3
"""Writes the demo databases examples/remote.sqlite and examples/local.sqlite.

remote.sqlite is "the truth": a small app schema (users, groups, subscriber
accounts and subscriptions, client accounts, help-desk tickets, job orders)
with foreign keys between the tables, one FK cycle (client_accounts
<-> auth_user, both sides nullable) and a few thousand rows of varied
values (integers, reals, text with quotes, unicode and emoji, blobs, NULLs,
dates as text).

local.sqlite is the same database after drift:
- subscriber_subscription lacks the column `player`;
- job_orders.amount is DECIMAL(10,2) instead of DECIMAL(12,2) (a safe widening);
- the index job_orders_client is missing;
- the table helpdesk_ticket is missing;
- rows differ: some updated, some deleted, some extra.

Deterministic (fixed seed, standard library only): running it again
rewrites identical data. Usage: python3 examples/make_demo.py
"""

import os
import random
import sqlite3

HERE = os.path.dirname(os.path.abspath(__file__))
SEED = 20240611

SCHEMA = """
CREATE TABLE auth_group (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name VARCHAR(150) NOT NULL UNIQUE
);
CREATE TABLE client_accounts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name VARCHAR(200) NOT NULL,
    vat_number VARCHAR(32),
    credit_limit DECIMAL(12,2) NOT NULL DEFAULT 0,
    -- one side of the FK cycle with auth_user
    primary_contact_id INTEGER REFERENCES auth_user (id) ON DELETE SET NULL,
    logo BLOB,
    created_at DATETIME NOT NULL
);
CREATE TABLE auth_user (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    username VARCHAR(150) NOT NULL UNIQUE,
    email VARCHAR(254) NOT NULL,
    first_name VARCHAR(150) NOT NULL DEFAULT '',
    last_name VARCHAR(150) NOT NULL DEFAULT '',
    is_staff BOOLEAN NOT NULL DEFAULT 0,
    is_active BOOLEAN NOT NULL DEFAULT 1,
    date_joined DATETIME NOT NULL,
    last_login DATETIME,
    -- the other side of the FK cycle
    client_id INTEGER REFERENCES client_accounts (id) ON DELETE SET NULL
);
CREATE INDEX auth_user_client ON auth_user (client_id);
CREATE TABLE auth_user_groups (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id INTEGER NOT NULL REFERENCES auth_user (id) ON DELETE CASCADE,
    group_id INTEGER NOT NULL REFERENCES auth_group (id) ON DELETE CASCADE,
    UNIQUE (user_id, group_id)
);
CREATE TABLE subscriber_accounts (
    id INTEGER PRIMARY KEY,
    account_number VARCHAR(20) NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    balance REAL NOT NULL DEFAULT 0.0,
    country CHAR(2),
    notes TEXT,
    avatar BLOB,
    created_at DATETIME NOT NULL
);
CREATE TABLE subscriber_subscription (
    id INTEGER PRIMARY KEY,
    subscriber_id INTEGER NOT NULL REFERENCES subscriber_accounts (id) ON DELETE CASCADE,
    plan VARCHAR(32) NOT NULL,
    player VARCHAR(64),
    price DECIMAL(8,2) NOT NULL,
    starts_on DATE NOT NULL,
    ends_on DATE,
    auto_renew BOOLEAN NOT NULL DEFAULT 1,
    created_by_id INTEGER REFERENCES auth_user (id) ON DELETE SET NULL,
    CHECK (ends_on IS NULL OR ends_on >= starts_on)
);
CREATE INDEX subscriber_subscription_plan ON subscriber_subscription (plan, starts_on);
CREATE TABLE helpdesk_ticket (
    id INTEGER PRIMARY KEY,
    subject TEXT NOT NULL,
    body TEXT,
    status VARCHAR(16) NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'pending', 'closed')),
    priority INTEGER NOT NULL DEFAULT 3,
    opened_by_id INTEGER REFERENCES auth_user (id),
    subscriber_id INTEGER REFERENCES subscriber_accounts (id) ON DELETE CASCADE,
    opened_at DATETIME NOT NULL,
    closed_at DATETIME
);
CREATE INDEX helpdesk_ticket_open ON helpdesk_ticket (status, priority) WHERE status <> 'closed';
CREATE TABLE job_orders (
    id INTEGER PRIMARY KEY,
    reference VARCHAR(32) NOT NULL UNIQUE,
    client_id INTEGER NOT NULL REFERENCES client_accounts (id),
    assigned_to_id INTEGER REFERENCES auth_user (id) ON DELETE SET NULL,
    amount DECIMAL(12,2) NOT NULL,
    hours REAL,
    status TEXT NOT NULL DEFAULT 'new',
    due_date DATE,
    payload BLOB,
    created_at DATETIME NOT NULL
);
CREATE INDEX job_orders_client ON job_orders (client_id, due_date DESC);
"""

FIRST = ["Ann", "Bob", "Zoë", "José", "Łukasz", "Søren", "Amélie", "Ngozi", "Hiroshi",
         "李", "Fatima", "O'Neil", "Chloé", "Dmitri", "Aroha", "Björk"]
LAST = ["O'Brien", "Smith", "Müller", "García", "Nguyen", "Kowalski", "Dubois",
        "Okafor", "Tanaka", "王", "van der Berg", "D'Angelo", "Ivanova", "Ngata"]
COMPANY = ["Acme", "Globex", "Initech", "Umbrella", "Stark", "Wayne", "Tyrell",
           "Cyberdyne", "Soylent", "Hooli", "Vandelay", "Pied Piper"]
SUFFIX = ["Ltd", "GmbH", "S.A.", "& Sons", "Co", "🚀 Labs", '"The Best" Inc', "Coöp"]
PLANS = ["basic", "standard", "premium", "family", "sports+"]
PLAYERS = ["web", "android", "ios", "smart-tv", "set-top box", None]
COUNTRIES = ["NZ", "AU", "GB", "DE", "FR", "JP", "NG", "BR", None]
SUBJECTS = ["Cannot log in", "Billing question", "Stream keeps buffering 😤",
            "Refund please", "Change of address", "App crashes on start",
            'Error "E42" on checkout', "¿Dónde está mi factura?"]
JOB_STATUS = ["new", "scheduled", "in progress", "done", "cancelled"]


def when(rng, year_from=2019, year_to=2024):
    """A date-time as text, 'YYYY-MM-DD HH:MM:SS'."""
    return "%04d-%02d-%02d %02d:%02d:%02d" % (
        rng.randint(year_from, year_to), rng.randint(1, 12), rng.randint(1, 28),
        rng.randint(0, 23), rng.randint(0, 59), rng.randint(0, 59))


def day(rng, year_from=2020, year_to=2025):
    return "%04d-%02d-%02d" % (rng.randint(year_from, year_to), rng.randint(1, 12), rng.randint(1, 28))


def maybe(rng, value, none_share=0.2):
    return None if rng.random() < none_share else value


def rows(rng):
    """Every table's rows, in insert order, as {table: (columns, [rows])}."""
    data = {}
    groups = ["admins", "support", "billing", "field techs", "managers", "read-only 👀"]
    data["auth_group"] = (["id", "name"], [(i + 1, g) for i, g in enumerate(groups)])

    n_clients, n_users = 150, 600
    clients = []
    for i in range(1, n_clients + 1):
        name = "%s %s" % (rng.choice(COMPANY), rng.choice(SUFFIX))
        clients.append((
            i, name, maybe(rng, "NZ%09d" % rng.randint(0, 10 ** 9)),
            round(rng.uniform(0, 50000), 2),
            maybe(rng, rng.randint(1, n_users), 0.3),
            maybe(rng, rng.randbytes(rng.randint(8, 48)), 0.6),
            when(rng),
        ))
    data["client_accounts"] = (
        ["id", "name", "vat_number", "credit_limit", "primary_contact_id", "logo", "created_at"], clients)

    users = []
    for i in range(1, n_users + 1):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        users.append((
            i, "user%04d" % i, "user%04d@example.org" % i, first, last,
            int(rng.random() < 0.1), int(rng.random() < 0.9), when(rng),
            maybe(rng, when(rng, 2023, 2024), 0.25),
            maybe(rng, rng.randint(1, n_clients), 0.5),
        ))
    data["auth_user"] = (
        ["id", "username", "email", "first_name", "last_name", "is_staff", "is_active",
         "date_joined", "last_login", "client_id"], users)

    memberships = set()
    while len(memberships) < 900:
        memberships.add((rng.randint(1, n_users), rng.randint(1, len(groups))))
    data["auth_user_groups"] = (
        ["id", "user_id", "group_id"],
        [(i + 1, u, g) for i, (u, g) in enumerate(sorted(memberships))])

    n_subscribers = 800
    subscribers = []
    for i in range(1, n_subscribers + 1):
        subscribers.append((
            i, "SA-%06d" % (100000 + i), "%s %s" % (rng.choice(FIRST), rng.choice(LAST)),
            round(rng.uniform(-200, 500), 2), rng.choice(COUNTRIES),
            maybe(rng, rng.choice(["VIP", "pays late", "prefers email", "multi-line\nnote", "tab\tseparated"]), 0.7),
            maybe(rng, rng.randbytes(16), 0.8), when(rng),
        ))
    data["subscriber_accounts"] = (
        ["id", "account_number", "display_name", "balance", "country", "notes", "avatar", "created_at"],
        subscribers)

    subscriptions = []
    for i in range(1, 1201):
        starts = day(rng, 2020, 2023)
        ends = maybe(rng, "%d%s" % (int(starts[:4]) + 1, starts[4:]), 0.4)
        subscriptions.append((
            i, rng.randint(1, n_subscribers), rng.choice(PLANS), rng.choice(PLAYERS),
            rng.choice([9.99, 14.5, 19.99, 29.0, 4.75]), starts, ends,
            int(rng.random() < 0.7), maybe(rng, rng.randint(1, n_users), 0.3),
        ))
    data["subscriber_subscription"] = (
        ["id", "subscriber_id", "plan", "player", "price", "starts_on", "ends_on", "auto_renew",
         "created_by_id"], subscriptions)

    tickets = []
    for i in range(1, 501):
        status = rng.choice(["open", "pending", "closed", "closed"])
        opened = when(rng, 2022, 2024)
        tickets.append((
            i, rng.choice(SUBJECTS),
            maybe(rng, "Customer says: \"%s\" — it's urgent!" % rng.choice(SUBJECTS), 0.2),
            status, rng.randint(1, 5), maybe(rng, rng.randint(1, n_users), 0.2),
            maybe(rng, rng.randint(1, n_subscribers), 0.1), opened,
            opened if status == "closed" else None,
        ))
    data["helpdesk_ticket"] = (
        ["id", "subject", "body", "status", "priority", "opened_by_id", "subscriber_id", "opened_at",
         "closed_at"], tickets)

    jobs = []
    for i in range(1, 1001):
        jobs.append((
            i, "JOB-%05d" % i, rng.randint(1, n_clients), maybe(rng, rng.randint(1, n_users), 0.25),
            round(rng.uniform(50, 20000), 2), maybe(rng, round(rng.uniform(0.5, 80), 1)),
            rng.choice(JOB_STATUS), maybe(rng, day(rng)),
            maybe(rng, rng.randbytes(rng.randint(1, 64)), 0.7), when(rng),
        ))
    data["job_orders"] = (
        ["id", "reference", "client_id", "assigned_to_id", "amount", "hours", "status", "due_date",
         "payload", "created_at"], jobs)
    return data


def local_schema():
    """The drifted schema: no `player`, amount DECIMAL(10,2), no job_orders_client
    index, no helpdesk_ticket."""
    schema = SCHEMA.replace("    player VARCHAR(64),\n", "")
    schema = schema.replace("    amount DECIMAL(12,2) NOT NULL,", "    amount DECIMAL(10,2) NOT NULL,")
    schema = schema.replace(
        "CREATE INDEX job_orders_client ON job_orders (client_id, due_date DESC);\n", "")
    start = schema.index("CREATE TABLE helpdesk_ticket")
    end = schema.index("CREATE TABLE job_orders")
    return schema[:start] + schema[end:]


def drift(rng, data):
    """The local copy's rows: some updated, some deleted, some extra."""
    data = dict(data)
    del data["helpdesk_ticket"]
    cols, subs = data["subscriber_subscription"]
    player = cols.index("player")
    data["subscriber_subscription"] = (
        cols[:player] + cols[player + 1:], [r[:player] + r[player + 1:] for r in subs])

    def change(table, column, make, share):
        cols, table_rows = data[table]
        at = cols.index(column)
        out = []
        for r in table_rows:
            if rng.random() < share:
                r = r[:at] + (make(r[at]),) + r[at + 1:]
            out.append(r)
        data[table] = (cols, out)

    def delete(table, share):
        cols, table_rows = data[table]
        data[table] = (cols, [r for r in table_rows if rng.random() >= share])

    change("auth_user", "last_login", lambda _: when(rng, 2024, 2024), 0.05)
    change("auth_user", "email", lambda e: e.replace("example.org", "old-mail.example"), 0.02)
    change("client_accounts", "credit_limit", lambda v: round(v * 1.1, 2), 0.08)
    change("subscriber_accounts", "balance", lambda v: round(v - 10, 2), 0.1)
    change("subscriber_accounts", "display_name", lambda v: v + " (old)", 0.03)
    change("subscriber_subscription", "plan", lambda _: "legacy", 0.05)
    change("job_orders", "status", lambda _: "stale", 0.06)

    delete("auth_user_groups", 0.05)
    delete("subscriber_subscription", 0.04)
    delete("job_orders", 0.03)

    cols, jobs = data["job_orders"]
    extra = [(5000 + i, "LOCAL-%03d" % i, rng.randint(1, 150), None, 1.0 + i, None, "draft",
              None, None, when(rng)) for i in range(25)]
    data["job_orders"] = (cols, jobs + extra)
    cols, subs = data["subscriber_subscription"]
    extra = [(9000 + i, rng.randint(1, 800), "trial", 0.0, day(rng, 2024, 2024), None, 0, None)
             for i in range(15)]
    data["subscriber_subscription"] = (cols, subs + extra)
    cols, members = data["auth_user_groups"]
    taken = {(u, g) for _, u, g in members}
    fresh = [u for u in range(1, 601) if (u, 6) not in taken][:2]
    data["auth_user_groups"] = (cols, members + [(5000 + i, u, 6) for i, u in enumerate(fresh)])
    return data


def write(path, schema, data):
    for suffix in ("", "-journal", "-wal", "-shm"):
        if os.path.exists(path + suffix):
            os.remove(path + suffix)
    db = sqlite3.connect(path)
    db.executescript(schema)
    for table, (cols, table_rows) in data.items():
        sql = "INSERT INTO %s (%s) VALUES (%s)" % (
            table, ", ".join(cols), ", ".join("?" for _ in cols))
        db.executemany(sql, table_rows)
    db.commit()
    db.execute("VACUUM")
    db.close()


def main():
    rng = random.Random(SEED)
    data = rows(rng)
    write(os.path.join(HERE, "remote.sqlite"), SCHEMA, data)
    write(os.path.join(HERE, "local.sqlite"), local_schema(), drift(rng, data))


if __name__ == "__main__":
    main()
