//! The TOML config: parsing, `${VAR}` expansion, positions of errors,
//! command-line overrides, and that passwords never leak. No database needed.

use std::collections::BTreeMap;
use std::time::Duration;

use lockstep::config::{FkStrategy, OrderStrategy, Overrides, Settings, STARTER_CONFIG};
use lockstep::error::Error;
use lockstep::url::DatabaseUrl;

const URLS: &str = "[source]\nurl = \"sqlite:a.db\"\n[target]\nurl = \"sqlite:b.db\"\n";

fn load(text: &str) -> Result<Settings, Error> {
    Settings::from_toml_str(text, "test.toml", &Overrides::default())
}

/// The error's (line, column, message); panics if it is not a config error.
fn config_error(text: &str) -> (usize, usize, String) {
    match load(text) {
        Err(Error::Config {
            file,
            line,
            column,
            message,
        }) => {
            assert_eq!(file, "test.toml");
            (line, column, message)
        }
        other => panic!("expected a config error, got {other:?}"),
    }
}

fn set_env(name: &str, value: &str) {
    // Every test uses its own variable names, so parallel tests do not race.
    std::env::set_var(name, value);
}

#[test]
fn starter_config_parses_with_the_defaults() {
    set_env("LOCKSTEP_SOURCE_PASSWORD", "starter-src-pw");
    set_env("LOCKSTEP_TARGET_PASSWORD", "starter-tgt-pw");
    let starter = load(STARTER_CONFIG).unwrap();
    let DatabaseUrl::MySql(source) = &starter.source else {
        panic!("starter source is not mysql: {:?}", starter.source)
    };
    assert_eq!(source.password.as_deref(), Some("starter-src-pw"));
    assert_eq!(source.host, "source.example.com");

    // Every value the starter shows is the default of an empty [sync].
    let bare = load(URLS).unwrap();
    assert_eq!(
        starter.connect.connect_timeout,
        bare.connect.connect_timeout
    );
    assert_eq!(starter.connect.read_timeout, bare.connect.read_timeout);
    assert_eq!(starter.connect.write_timeout, bare.connect.write_timeout);
    assert_eq!(starter.order, bare.order);
    assert_eq!(starter.multi_pass, bare.multi_pass);
    assert_eq!(starter.fk_retry, bare.fk_retry);
    assert_eq!(starter.fk_strategy, bare.fk_strategy);
    assert_eq!(
        starter.skip_problematic_foreign_keys,
        bare.skip_problematic_foreign_keys
    );
    assert_eq!(starter.schema_validation, bare.schema_validation);
    assert_eq!(starter.auto_fix_schema, bare.auto_fix_schema);
    assert_eq!(starter.allow_destructive, bare.allow_destructive);
    assert_eq!(starter.max_delete_ratio, bare.max_delete_ratio);
    assert_eq!(bare.max_delete_ratio, 0.5);
    assert_eq!(starter.retry, bare.retry);
    assert_eq!(bare.retry.retries, 3);
    assert_eq!(bare.retry.first_wait, Duration::from_secs(1));
    assert!(starter.tables.is_empty() && starter.exclude.is_empty());
    assert!(starter.table_keys.is_empty());
    assert_eq!(bare.order, OrderStrategy::Dependency);
    assert_eq!(bare.fk_retry, 3);
    assert!(!bare.allow_destructive);
}

#[test]
fn starter_config_commented_examples_parse_when_uncommented() {
    set_env("LOCKSTEP_SOURCE_PASSWORD", "starter-src-pw");
    set_env("LOCKSTEP_TARGET_PASSWORD", "starter-tgt-pw");
    // Uncomment the custom order and the per-table key; switch order.
    let text = STARTER_CONFIG
        .replace("order = \"dependency\"", "order = \"custom\"")
        .replace("# custom_order", "custom_order")
        .replace("# [tables.", "[tables.")
        .replace("# key =", "key =");
    let s = load(&text).unwrap();
    let OrderStrategy::Custom(list) = &s.order else {
        panic!("not custom: {:?}", s.order)
    };
    assert_eq!(list[0].value, "auth_user");
    assert_eq!(s.table_keys["audit_log"], ["created_at", "host"]);
}

#[test]
fn demo_config_parses() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/demo.toml");
    let args = Overrides {
        config: Some(path.into()),
        ..Overrides::default()
    };
    let s = Settings::load(&args).unwrap();
    assert_eq!(
        s.source,
        DatabaseUrl::Sqlite {
            path: "target/demo/remote.sqlite".into()
        }
    );
    assert_eq!(
        s.target,
        DatabaseUrl::Sqlite {
            path: "target/demo/local.sqlite".into()
        }
    );
    assert_eq!(s.order, OrderStrategy::Dependency);
    assert_eq!(s.config_file.as_deref(), Some(std::path::Path::new(path)));
}

#[test]
fn missing_config_file_names_it_and_suggests_init() {
    let args = Overrides {
        config: Some("/nonexistent/dir/project.toml".into()),
        ..Overrides::default()
    };
    let err = Settings::load(&args).unwrap_err().to_string();
    assert!(err.contains("/nonexistent/dir/project.toml"), "{err}");
    assert!(err.contains("lockstep init"), "{err}");
}

#[test]
fn sync_settings_are_read() {
    let s = load(&format!(
        "{URLS}[sync]\nconnection_timeout = 90\nread_timeout = 5\nwrite_timeout = 6\n\
         order = \"alphabetical\"\nmulti_pass = true\nfk_retry = 7\nfk_strategy = \"disable\"\n\
         skip_problematic_foreign_keys = false\nschema_validation = false\nauto_fix_schema = false\n\
         allow_destructive = true\nallow_triggers = true\ntables = [\"a\", \"b\"]\nexclude = [\"c\"]\n\
         [tables.a]\nkey = [\"x\", \"y\"]\n"
    ))
    .unwrap();
    assert_eq!(s.connect.connect_timeout, Duration::from_secs(90));
    assert_eq!(s.connect.read_timeout, Duration::from_secs(5));
    assert_eq!(s.connect.write_timeout, Duration::from_secs(6));
    assert_eq!(s.order, OrderStrategy::Alphabetical);
    assert!(s.multi_pass && s.allow_destructive);
    assert!(!s.skip_problematic_foreign_keys && !s.schema_validation && !s.auto_fix_schema);
    assert_eq!(s.fk_retry, 7);
    assert_eq!(s.fk_strategy, FkStrategy::Disable);
    let tables: Vec<_> = s.tables.iter().map(|t| t.value.as_str()).collect();
    assert_eq!(tables, ["a", "b"]);
    let origin = s.tables[1].origin.as_ref().unwrap();
    assert_eq!((origin.line, origin.column), (18, 16));
    assert_eq!(s.exclude[0].value, "c");
    assert_eq!(
        s.table_keys,
        BTreeMap::from([("a".to_string(), vec!["x".to_string(), "y".to_string()])])
    );
}

#[test]
fn max_delete_ratio_is_a_share_from_0_to_1() {
    let ratio = |value: &str| load(&format!("{URLS}[sync]\nmax_delete_ratio = {value}\n"));
    assert_eq!(ratio("0.9").unwrap().max_delete_ratio, 0.9);
    assert_eq!(ratio("1.0").unwrap().max_delete_ratio, 1.0);
    for bad in ["1.5", "-0.1"] {
        let (line, _, message) = config_error(&format!("{URLS}[sync]\nmax_delete_ratio = {bad}\n"));
        assert_eq!(line, 6, "{bad}");
        assert!(message.contains("from 0 to 1"), "{message}");
    }
}

#[test]
fn retries_and_retry_wait_are_read_and_a_bad_wait_is_named() {
    let s = load(&format!(
        "{URLS}[sync]\nretries = 0\nretry_wait = \"250ms\"\n"
    ))
    .unwrap();
    assert_eq!(s.retry.retries, 0);
    assert_eq!(s.retry.first_wait, Duration::from_millis(250));
    let wait = |text: &str| {
        load(&format!("{URLS}[sync]\nretry_wait = \"{text}\"\n"))
            .unwrap()
            .retry
            .first_wait
    };
    assert_eq!(wait("2s"), Duration::from_secs(2));
    assert_eq!(wait("1m"), Duration::from_secs(60));
    // Doubling from the first wait, capped at a minute.
    let retry = load(URLS).unwrap().retry;
    assert_eq!(retry.wait(1), Duration::from_secs(1));
    assert_eq!(retry.wait(3), Duration::from_secs(4));
    assert_eq!(retry.wait(40), Duration::from_secs(60));
    for bad in ["fast", "1", "1h", "-1s", ""] {
        let (line, column, message) =
            config_error(&format!("{URLS}[sync]\nretry_wait = \"{bad}\"\n"));
        assert_eq!((line, column), (6, 14), "{bad}");
        assert!(message.contains("retry_wait"), "{message}");
        assert!(message.contains("\"500ms\""), "{message}");
    }
}

#[test]
fn custom_order_keeps_positions() {
    let s = load(&format!(
        "{URLS}[sync]\norder = \"custom\"\ncustom_order = [\"b\", \"a\"]\n"
    ))
    .unwrap();
    let OrderStrategy::Custom(list) = &s.order else {
        panic!("not custom")
    };
    let origin = list[1].origin.as_ref().unwrap();
    assert_eq!(list[1].value, "a");
    assert_eq!((origin.line, origin.column), (7, 22));
    // Origin::error builds a config error at that place.
    let err = origin.error("no such table").to_string();
    assert_eq!(err, "test.toml:7:22: no such table");
}

#[test]
fn env_vars_are_expanded_after_parsing() {
    set_env("LST_CFG_T1_PASS", "pa\"ss word");
    set_env("LST_CFG_T1_TABLE", "orders");
    let s = load(
        "[source]\nurl = \"mysql://app:${LST_CFG_T1_PASS}@h:3307/db\"\n\
         [target]\nengine = \"mysql\"\nhost = \"h\"\npassword = \"$LST_CFG_T1_PASS\"\ndatabase = \"cost$$s\"\n\
         [sync]\ntables = [\"${LST_CFG_T1_TABLE}\"]\n",
    )
    .unwrap();
    let DatabaseUrl::MySql(src) = &s.source else {
        panic!("not mysql")
    };
    // The quote in the value does not break TOML: the text was never expanded.
    assert_eq!(src.password.as_deref(), Some("pa\"ss word"));
    let DatabaseUrl::MySql(tgt) = &s.target else {
        panic!("not mysql")
    };
    assert_eq!(tgt.password.as_deref(), Some("pa\"ss word"));
    assert_eq!(tgt.database, "cost$s");
    assert_eq!(s.tables[0].value, "orders");
}

#[test]
fn unset_env_var_names_the_variable_and_the_key() {
    let (line, column, message) = config_error(
        "[source]\nurl = \"sqlite:a.db\"\n[target]\nurl = \"mysql://u:${LST_CFG_NEVER_SET_42}@h/db\"\n",
    );
    assert_eq!((line, column), (4, 7));
    assert!(message.contains("LST_CFG_NEVER_SET_42"), "{message}");
    assert!(message.contains("target.url"), "{message}");
    assert!(message.contains("not set"), "{message}");
}

#[test]
fn unknown_key_is_reported_at_its_place_with_the_allowed_keys() {
    let (line, column, message) =
        config_error(&format!("{URLS}[sync]\nfk_retry = 2\n  fk_retires = 3\n"));
    assert_eq!((line, column), (7, 3));
    assert!(message.contains("fk_retires"), "{message}");
    assert!(
        message.contains("fk_retry"),
        "lists the allowed keys: {message}"
    );

    let (line, column, message) = config_error("[source]\nurl = \"sqlite:a\"\nhots = \"x\"\n");
    assert_eq!((line, column), (3, 1));
    assert!(
        message.contains("hots") && message.contains("host"),
        "{message}"
    );

    // A [sync] key written at the top level.
    let (line, _, message) = config_error(&format!("order = \"custom\"\n{URLS}"));
    assert_eq!(line, 1);
    assert!(
        message.contains("order") && message.contains("sync"),
        "{message}"
    );

    // The table list written at the top level, where [tables.<name>] lives.
    let (line, _, message) = config_error(&format!("tables = [\"a\"]\n{URLS}"));
    assert_eq!(line, 1);
    assert!(message.contains("[sync]"), "{message}");
}

#[test]
fn wrong_type_is_reported() {
    let (line, column, message) = config_error(&format!("{URLS}[sync]\nfk_retry = \"three\"\n"));
    assert_eq!((line, column), (6, 12));
    assert!(message.contains("invalid type"), "{message}");

    let (line, _, message) = config_error(&format!("{URLS}[sync]\nmulti_pass = 1\n"));
    assert_eq!(line, 6);
    assert!(message.contains("bool"), "{message}");

    let (line, _, message) = config_error(&format!("{URLS}[sync]\nread_timeout = 0\n"));
    assert_eq!(line, 6);
    assert!(message.contains("at least 1"), "{message}");
}

#[test]
fn bad_order_and_fk_strategy_values_list_the_allowed_ones() {
    let (line, column, message) = config_error(&format!("{URLS}[sync]\norder = \"random\"\n"));
    assert_eq!((line, column), (6, 9));
    assert!(message.starts_with("`order`: "), "{message}");
    for allowed in ["dependency", "alphabetical", "custom"] {
        assert!(message.contains(allowed), "{message}");
    }
    let (_, _, message) = config_error(&format!("{URLS}[sync]\nfk_strategy = \"off\"\n"));
    assert!(message.contains("disable"), "{message}");
}

#[test]
fn custom_order_needs_order_custom_and_a_list() {
    let (line, column, message) = config_error(&format!("{URLS}[sync]\norder = \"custom\"\n"));
    assert_eq!((line, column), (6, 9));
    assert!(message.contains("custom_order"), "{message}");

    let (line, column, message) = config_error(&format!("{URLS}[sync]\ncustom_order = [\"a\"]\n"));
    assert_eq!((line, column), (6, 16));
    assert!(message.contains("order = \"custom\""), "{message}");

    let (line, _, message) = config_error(&format!(
        "{URLS}[sync]\norder = \"custom\"\ncustom_order = []\n"
    ));
    assert_eq!(line, 7);
    assert!(message.contains("empty"), "{message}");

    let (line, column, message) = config_error(&format!(
        "{URLS}[sync]\norder = \"custom\"\ncustom_order = [\"a\", \"a\"]\n"
    ));
    assert_eq!((line, column), (7, 22));
    assert!(message.contains("twice"), "{message}");
}

#[test]
fn invalid_url_in_config_is_located_and_masked() {
    let (line, column, message) = config_error(
        "[source]\nurl = \"mysql://app:hunter2secret@db.example:notaport/db\"\n[target]\nurl = \"sqlite:b\"\n",
    );
    assert_eq!((line, column), (2, 7));
    assert!(message.contains("source.url"), "{message}");
    assert!(message.contains("port"), "{message}");
    assert!(!message.contains("hunter2secret"), "{message}");
    assert!(message.contains("app:***@"), "{message}");
}

#[test]
fn missing_source_or_target_is_a_usage_error() {
    match load("[target]\nurl = \"sqlite:b\"\n") {
        Err(Error::Usage(m)) => assert!(m.contains("--source") && m.contains("[source]"), "{m}"),
        other => panic!("{other:?}"),
    }
    match load("[source]\nurl = \"sqlite:b\"\n") {
        Err(Error::Usage(m)) => assert!(m.contains("--target"), "{m}"),
        other => panic!("{other:?}"),
    }
    let (line, _, message) = config_error("[source]\n[target]\nurl = \"sqlite:b\"\n");
    assert_eq!(line, 1);
    assert!(
        message.contains("url") && message.contains("host"),
        "{message}"
    );
}

#[test]
fn url_and_parts_together_are_an_error() {
    let (line, column, message) =
        config_error("[source]\nurl = \"sqlite:a\"\nhost = \"h\"\n[target]\nurl = \"sqlite:b\"\n");
    assert_eq!((line, column), (3, 8));
    assert!(
        message.contains("url") && message.contains("host"),
        "{message}"
    );
    let (line, _, message) = config_error(
        "[source]\nengine = \"sqlite\"\npath = \"a\"\nport = 1\n[target]\nurl = \"sqlite:b\"\n",
    );
    assert_eq!(line, 4);
    assert!(message.contains("port"), "{message}");
}

#[test]
fn cli_overrides_win() {
    let text = format!(
        "{URLS}[sync]\nfk_strategy = \"dependency\"\ntables = [\"a\"]\nexclude = [\"x\"]\n"
    );
    let args = Overrides {
        source: Some("mysql://u:pw@cli-host/cli_db".into()),
        target: Some("sqlite:cli.db".into()),
        tables: vec!["t1".into(), "t2".into()],
        exclude: vec!["e".into()],
        allow_destructive: true,
        fk_strategy: Some(FkStrategy::Disable),
        ..Overrides::default()
    };
    let s = Settings::from_toml_str(&text, "test.toml", &args).unwrap();
    assert_eq!(s.source.database_name(), "cli_db");
    assert_eq!(
        s.target,
        DatabaseUrl::Sqlite {
            path: "cli.db".into()
        }
    );
    let tables: Vec<_> = s.tables.iter().map(|t| t.value.as_str()).collect();
    assert_eq!(tables, ["t1", "t2"]);
    assert!(s.tables.iter().all(|t| t.origin.is_none()));
    assert_eq!(s.exclude[0].value, "e");
    assert!(s.allow_destructive);
    assert_eq!(s.fk_strategy, FkStrategy::Disable);

    // A --source overrides a config source that could not be resolved.
    let args = Overrides {
        source: Some("sqlite:x".into()),
        ..Overrides::default()
    };
    let text = "[source]\nurl = \"${LST_CFG_NEVER_SET_43}\"\n[target]\nurl = \"sqlite:b\"\n";
    assert!(Settings::from_toml_str(text, "test.toml", &args).is_ok());

    // A bad --source is reported as such, masked.
    let args = Overrides {
        source: Some("mysql://u:clisecret@h:bad/db".into()),
        ..Overrides::default()
    };
    let err = Settings::from_toml_str(URLS, "test.toml", &args)
        .unwrap_err()
        .to_string();
    assert!(err.starts_with("--source:"), "{err}");
    assert!(!err.contains("clisecret"), "{err}");
}

#[test]
fn parts_build_the_same_url_as_the_url_form() {
    let by_url = load(
        "[source]\nurl = \"mysql://app:s3cret@db.example:3307/shop?ssl-mode=required\"\n\
         [target]\nurl = \"postgres://app@pg.example/shop\"\n",
    )
    .unwrap();
    let by_parts = load(
        "[source]\nhost = \"db.example\"\nport = 3307\nuser = \"app\"\npassword = \"s3cret\"\n\
         database = \"shop\"\nparams = { ssl-mode = \"required\" }\n\
         [target]\nengine = \"postgres\"\nhost = \"pg.example\"\nuser = \"app\"\ndatabase = \"shop\"\n",
    )
    .unwrap();
    assert_eq!(by_url.source, by_parts.source);
    assert_eq!(by_url.target, by_parts.target);

    let sqlite = load(
        "[source]\nengine = \"sqlite\"\npath = \"x.sqlite\"\n[target]\nurl = \"sqlite:x.sqlite\"\n",
    )
    .unwrap();
    assert_eq!(sqlite.source, sqlite.target);
    // Default port and user, as in the URL form.
    let short = load("[source]\nhost = \"h\"\ndatabase = \"d\"\n[target]\nurl = \"mysql://h/d\"\n")
        .unwrap();
    assert_eq!(short.source, short.target);
}

#[test]
fn passwords_never_appear_in_settings_or_errors() {
    let secret = "Zq9-very-secret";
    set_env("LST_CFG_T2_PASS", secret);
    let s = load(&format!(
        "[source]\nurl = \"mysql://app:{secret}@h/db\"\n\
         [target]\nhost = \"h\"\npassword = \"${{LST_CFG_T2_PASS}}\"\ndatabase = \"d\"\n"
    ))
    .unwrap();
    for shown in [format!("{s:?}"), s.to_string()] {
        assert!(!shown.contains(secret), "{shown}");
        assert!(shown.contains("***"), "{shown}");
    }

    // A password of the wrong type, plain and in an inline table.
    for text in [
        "[source]\nhost = \"h\"\ndatabase = \"d\"\npassword = 987654321\n",
        "source = { host = \"h\", password = 987654321 }\n",
    ] {
        let (_, _, message) = config_error(text);
        assert!(!message.contains("987654321"), "{message}");
        assert!(message.contains("invalid type"), "{message}");
    }

    // A syntax error on a line with a URL password.
    let (_, _, message) = config_error(&format!(
        "[source]\nurl = \"mysql://app:{secret}@h/db\" x\n"
    ));
    assert!(!message.contains(secret), "{message}");
    // A wrong type for a URL.
    let (_, _, message) = config_error(&format!(
        "[source]\nurl = [\"mysql://app:{secret}@h/db\"]\n"
    ));
    assert!(!message.contains(secret), "{message}");
}

#[test]
fn compress_is_a_key_of_a_mysql_side_and_reaches_the_url() {
    let server = |text: &str| match load(text).unwrap().source {
        DatabaseUrl::MySql(s) => s.params.get("compress").cloned(),
        other => panic!("not mysql: {other:?}"),
    };
    let tail = "[target]\nurl = \"sqlite:b.db\"\n";
    assert_eq!(
        server(&format!(
            "[source]\nurl = \"mysql://u@h/d\"\ncompress = true\n{tail}"
        )),
        Some("true".to_string())
    );
    assert_eq!(
        server(&format!(
            "[source]\nhost = \"h\"\ndatabase = \"d\"\ncompress = \"auto\"\n{tail}"
        )),
        Some("auto".to_string())
    );
    assert_eq!(
        server(&format!(
            "[source]\nurl = \"mysql://u@h/d\"\ncompress = false\n{tail}"
        )),
        Some("false".to_string())
    );
    assert_eq!(
        server(&format!("[source]\nurl = \"mysql://u@h/d\"\n{tail}")),
        None
    );

    let (line, _, message) = config_error(&format!(
        "[source]\nurl = \"sqlite:a.db\"\ncompress = true\n{tail}"
    ));
    assert_eq!(line, 3);
    assert!(message.contains("MySQL/MariaDB servers only"), "{message}");
    let (line, _, message) = config_error(&format!(
        "[source]\nurl = \"mysql://u@h/d?compress=true\"\ncompress = true\n{tail}"
    ));
    assert_eq!(line, 3);
    assert!(message.contains("compress twice"), "{message}");
    let (_, _, message) = config_error(&format!(
        "[source]\nurl = \"mysql://u@h/d\"\ncompress = \"fast\"\n{tail}"
    ));
    assert!(message.contains("compress"), "{message}");
}
