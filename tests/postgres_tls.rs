//! TLS to PostgreSQL with libpq's `sslmode` meanings, against the test
//! server's own certificate (Debian's, self-signed for `localhost`, which
//! serves as its own root): `require` encrypts without checking it,
//! `verify-ca` checks the chain but not the name, `verify-full` the name
//! too; a wrong root, a missing file and a server that offers no TLS
//! each fail before anything is read, naming what to fix.

mod common;

use std::io::{Read, Write};
use std::net::TcpListener;

use common::PgDb;

/// The server's certificate file (its own root: it is self-signed).
fn server_certificate(db: &PgDb) -> String {
    let file = db.query("SHOW ssl_cert_file")[0][0].clone().unwrap();
    let on = db.query("SHOW ssl")[0][0].clone().unwrap();
    assert_eq!(on, "on", "the test server must have ssl = on");
    file
}

fn with(url: &str, params: &str) -> String {
    format!("{url}?{params}")
}

fn run(source: &str, target: &str) -> (i32, String) {
    let out = common::lockstep_sync("--validate-only", source, target);
    (out.status.code().unwrap_or(-1), common::output_text(&out))
}

#[test]
fn every_sslmode_connects_or_fails_as_libpq_would() {
    let source = PgDb::new("tls_src");
    source.exec("CREATE TABLE t (id int PRIMARY KEY, v text); INSERT INTO t VALUES (1, 'a')");
    let target = PgDb::new("tls_tgt");
    target.exec("CREATE TABLE t (id int PRIMARY KEY, v text); INSERT INTO t VALUES (1, 'a')");
    let root = server_certificate(&source);
    let by_name = |db: &PgDb| db.url().replacen("127.0.0.1", "localhost", 1);

    // Encrypted, the certificate unchecked; checked against its root;
    // and with its name (`localhost`), each side by its own mode.
    for (src, tgt) in [
        (
            with(&source.url(), "sslmode=require"),
            with(&target.url(), "sslmode=prefer"),
        ),
        (
            with(
                &source.url(),
                &format!("sslmode=verify-ca&sslrootcert={root}"),
            ),
            with(
                &by_name(&target),
                &format!("sslmode=verify-full&sslrootcert={root}"),
            ),
        ),
    ] {
        let (code, out) = run(&src, &tgt);
        assert_eq!(code, 0, "{src} -> {tgt}: {out}");
        assert!(out.contains("the target matches the source"), "{out}");
    }

    // The certificate names `localhost`, not 127.0.0.1.
    let wrong_name = with(
        &source.url(),
        &format!("sslmode=verify-full&sslrootcert={root}"),
    );
    let (code, out) = run(&wrong_name, &target.url());
    assert_ne!(code, 0, "{out}");
    assert!(
        out.contains("TLS handshake failed") && out.contains("127.0.0.1"),
        "{out}"
    );

    // A root that did not sign it: the public roots.
    let (code, out) = run(&with(&source.url(), "sslmode=verify-ca"), &target.url());
    assert_ne!(code, 0, "{out}");
    assert!(
        out.contains("certificate") && out.contains("sslrootcert"),
        "{out}"
    );

    let (code, out) = run(
        &with(
            &source.url(),
            "sslmode=verify-ca&sslrootcert=/nonexistent/root.pem",
        ),
        &target.url(),
    );
    assert_ne!(code, 0, "{out}");
    assert!(out.contains("/nonexistent/root.pem"), "{out}");

    let (code, out) = run(
        &with(&source.url(), "sslmode=verify-everything"),
        &target.url(),
    );
    assert_ne!(code, 0, "{out}");
    assert!(out.contains("unknown sslmode `verify-everything`"), "{out}");
}

/// A server that answers the TLS request with "no" (as one with ssl off
/// does): `require` gives up, saying the server offers no TLS.
#[test]
fn require_refuses_a_server_without_tls() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = std::thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        let mut request = [0u8; 8];
        stream.read_exact(&mut request).unwrap();
        // SSLRequest: length 8, code 80877103.
        assert_eq!(request, [0, 0, 0, 8, 4, 210, 22, 47]);
        stream.write_all(b"N").unwrap();
        let mut rest = Vec::new();
        let _ = stream.read_to_end(&mut rest);
        rest
    });
    let target = PgDb::new("tls_none_tgt");
    let source = format!("postgres://app:s3cret@127.0.0.1:{port}/shop?sslmode=require");
    let (code, out) = run(&source, &target.url());
    assert_ne!(code, 0, "{out}");
    assert!(out.contains("does not offer TLS"), "{out}");
    assert!(!out.contains("s3cret"), "{out}");
    let sent_after_no = server.join().unwrap();
    assert!(
        sent_after_no.is_empty(),
        "nothing (no password) was sent in the clear: {sent_after_no:?}"
    );
}
