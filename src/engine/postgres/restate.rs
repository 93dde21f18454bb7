//! Definitions as the target server would store them.
//!
//! PostgreSQL keeps a CHECK or a view as a parse tree and prints it back
//! on request, and the print of a print is not always the same text: a
//! `status IN ('a', 'b')` on a varchar column prints as
//! `(status)::text = ANY ((ARRAY['a'::character varying, ...])::text[])`,
//! and that text, created again, prints as
//! `(status)::text = ANY (ARRAY[('a'::character varying)::text, ...])`.
//! So a copy made from the source's text shows different text from the
//! source forever, and every run would drop and re-add it.
//!
//! Before comparing, each source CHECK, view or policy whose text differs
//! from the target's object of the same name is given to the target to
//! store on a temporary table or view, inside a transaction that is rolled back (no
//! table of the user's is touched, nothing stays). Where the target prints
//! it exactly as it prints its own object, the two are the same object,
//! and the target's catalog takes the source's text for it.

use tokio_postgres::{Client, SimpleQueryMessage};

use super::comments;
use super::introspect::unqualified;
use super::names::relation;
use crate::catalog::model::{Catalog, CheckConstraint, Table};
use crate::catalog::row_security::Policy;

const PROBE_TABLE: &str = "lockstep_restate_probe";
const PROBE_VIEW: &str = "lockstep_restate_view";

/// Gives `target` the source's text for every CHECK and view the target
/// server stores exactly as it stores its own. A definition the server
/// cannot restate (it names something the target lacks, say) stays as it
/// is: it differs, and the plan says so.
pub async fn restate(client: &Client, source: &Catalog, target: &mut Catalog) {
    // Read once, and only when a definition differs: a catalog whose
    // texts all agree costs no round trip here.
    let mut qualifier = None;
    for table in &mut target.tables {
        let Some(wanted) = source.table(&table.name) else {
            continue;
        };
        restate_policies(client, wanted, table, &mut qualifier).await;
        let differing: Vec<(usize, &CheckConstraint)> = table
            .checks
            .iter()
            .enumerate()
            .filter_map(|(at, check)| {
                let s = wanted.check(&check.name)?;
                (s.definition != check.definition).then_some((at, s))
            })
            .collect();
        if differing.is_empty() {
            continue;
        }
        let expressions: Vec<&str> = differing
            .iter()
            .map(|(_, s)| s.expression.as_str())
            .collect();
        let Some(printed) = restated_checks(client, &table.name, &expressions).await else {
            continue;
        };
        let Some(qualifier) = schema_qualifier(client, &mut qualifier).await else {
            return;
        };
        for ((at, wanted), text) in differing.into_iter().zip(printed) {
            let check = &mut table.checks[at];
            if unqualified(&text, qualifier) == check.definition {
                *check = wanted.clone();
            }
        }
    }
    for view in &mut target.views {
        let Some(wanted) = source.views.iter().find(|v| v.name == view.name) else {
            continue;
        };
        if wanted.definition == view.definition {
            continue;
        }
        // Their comments must agree; the query is restated without them.
        let ((wanted_query, wanted_comment), (own_query, own_comment)) = (
            comments::split(&wanted.definition),
            comments::split(&view.definition),
        );
        if wanted_comment != own_comment {
            continue;
        }
        // A materialized view's query is printed as a plain view's is.
        let (Some((_, body)), Some((_, own))) = (
            wanted_query.split_once(" AS\n"),
            own_query.split_once(" AS\n"),
        ) else {
            continue;
        };
        let Some(text) = restated_view(client, body).await else {
            continue;
        };
        let Some(qualifier) = schema_qualifier(client, &mut qualifier).await else {
            return;
        };
        if unqualified(text.trim_end_matches(';'), qualifier) == own {
            view.definition = wanted.definition.clone();
        }
    }
}

/// Gives `table` (the target's) the source's text for the expressions of
/// each policy of `wanted` (the source's table) that the target prints
/// as it prints its own: created on a temporary copy of the table.
async fn restate_policies(
    client: &Client,
    wanted: &Table,
    table: &mut Table,
    qualifier: &mut Option<String>,
) {
    let differing: Vec<(usize, &Policy)> = table
        .options
        .row_security
        .policies
        .iter()
        .enumerate()
        .filter_map(|(at, policy)| {
            let s = wanted.options.row_security.policy(&policy.name)?;
            (s.command == policy.command && (&s.using, &s.check) != (&policy.using, &policy.check))
                .then_some((at, s))
        })
        .collect();
    if differing.is_empty() {
        return;
    }
    let mut script = format!(
        "BEGIN READ WRITE; SET LOCAL lock_timeout = '5s'; \
         CREATE TEMP TABLE {PROBE_TABLE} (LIKE {}); ",
        relation(&table.name)
    );
    for (n, (_, policy)) in differing.iter().enumerate() {
        let using = policy.using.as_ref().map(|u| format!(" USING ({u})"));
        let check = policy.check.as_ref().map(|c| format!(" WITH CHECK ({c})"));
        script.push_str(&format!(
            "CREATE POLICY probe_{n} ON {PROBE_TABLE} FOR {}{}{}; ",
            policy.command,
            using.unwrap_or_default(),
            check.unwrap_or_default()
        ));
    }
    // Two rows a policy: `u<n>` its USING, `c<n>` its WITH CHECK ('' for none).
    script.push_str(&format!(
        "SELECT 'u' || substr(polname, 7), coalesce(pg_get_expr(polqual, polrelid), '') \
         FROM pg_policy WHERE polrelid = 'pg_temp.{PROBE_TABLE}'::regclass UNION ALL \
         SELECT 'c' || substr(polname, 7), coalesce(pg_get_expr(polwithcheck, polrelid), '') \
         FROM pg_policy WHERE polrelid = 'pg_temp.{PROBE_TABLE}'::regclass"
    ));
    let Some(rows) = in_rolled_back_transaction(client, &script).await else {
        return;
    };
    let Some(qualifier) = schema_qualifier(client, qualifier).await else {
        return;
    };
    let printed = |key: String| {
        rows.iter()
            .find(|(k, _)| *k == key)
            .map(|(_, text)| (!text.is_empty()).then(|| unqualified(text, qualifier)))
    };
    for (n, (at, source)) in differing.into_iter().enumerate() {
        let (Some(using), Some(check)) = (printed(format!("u{n}")), printed(format!("c{n}")))
        else {
            continue;
        };
        let own = &mut table.options.row_security.policies[at];
        if (&using, &check) == (&own.using, &own.check) {
            own.using = source.using.clone();
            own.check = source.check.clone();
        }
    }
}

/// `schema.` as the server prints names outside the search path, read
/// into `cache` the first time.
async fn schema_qualifier<'c>(client: &Client, cache: &'c mut Option<String>) -> Option<&'c str> {
    if cache.is_none() {
        let row = client
            .query_one("SELECT quote_ident(current_schema())", &[])
            .await
            .ok()?;
        *cache = Some(format!("{}.", row.get::<_, Option<String>>(0)?));
    }
    cache.as_deref()
}

/// The target's print of each CHECK expression, put on a temporary copy of
/// `table`'s columns (`NOT VALID`: no row is read), in the order given.
async fn restated_checks(client: &Client, table: &str, checks: &[&str]) -> Option<Vec<String>> {
    let mut script = format!(
        "BEGIN READ WRITE; SET LOCAL lock_timeout = '5s'; \
         CREATE TEMP TABLE {PROBE_TABLE} (LIKE {}); ",
        relation(table)
    );
    for (n, expression) in checks.iter().enumerate() {
        script.push_str(&format!(
            "ALTER TABLE {PROBE_TABLE} ADD CONSTRAINT probe_{n} CHECK {expression} NOT VALID; "
        ));
    }
    script.push_str(&format!(
        "SELECT conname::text, pg_get_constraintdef(oid) FROM pg_constraint \
         WHERE conrelid = 'pg_temp.{PROBE_TABLE}'::regclass ORDER BY conname"
    ));
    let rows = in_rolled_back_transaction(client, &script).await?;
    let mut printed: Vec<(usize, String)> = rows
        .into_iter()
        .filter_map(|(name, text)| {
            let n = name.strip_prefix("probe_")?.parse().ok()?;
            Some((n, text.trim_end_matches(" NOT VALID").to_string()))
        })
        .collect();
    printed.sort();
    (printed.len() == checks.len()).then(|| printed.into_iter().map(|(_, t)| t).collect())
}

/// The target's print of a view's query.
async fn restated_view(client: &Client, body: &str) -> Option<String> {
    let script = format!(
        "BEGIN READ WRITE; SET LOCAL lock_timeout = '5s'; \
         CREATE TEMP VIEW {PROBE_VIEW} AS {body}; \
         SELECT '', pg_get_viewdef('pg_temp.{PROBE_VIEW}'::regclass, true)"
    );
    let rows = in_rolled_back_transaction(client, &script).await?;
    rows.into_iter().next().map(|(_, text)| text)
}

/// Runs `script` (which begins a transaction) and rolls it back, whether
/// it succeeded or not; the two-column rows it returned, or `None` if a
/// statement failed.
async fn in_rolled_back_transaction(
    client: &Client,
    script: &str,
) -> Option<Vec<(String, String)>> {
    let answer = client.simple_query(script).await;
    // The transaction may have failed part way: end it either way.
    let _ = client.batch_execute("ROLLBACK").await;
    let rows = answer
        .ok()?
        .into_iter()
        .filter_map(|message| match message {
            SimpleQueryMessage::Row(row) => {
                Some((row.get(0)?.to_string(), row.get(1)?.to_string()))
            }
            _ => None,
        })
        .collect();
    Some(rows)
}
