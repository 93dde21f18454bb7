//! Real sample databases (Sakila, Chinook, Employees) through the whole
//! workflow on MariaDB: loaded into the source, synced into an empty
//! target and into a drifted one, identical after, and a second run finds
//! nothing to do.

mod common;

use std::path::PathBuf;

use common::MyDb;

fn corpus(path: &str) -> PathBuf {
    common::corpus_dir().join("sampledb").join(path)
}

fn full_sync(source: &MyDb, target: &MyDb) {
    let out = common::lockstep(&[
        "sync",
        "--no-color",
        "--source",
        &source.url(),
        "--target",
        &target.url(),
    ]);
    let text = common::output_text(&out);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.contains("Verification: all"), "{text}");
}

fn validate_is_clean(source: &MyDb, target: &MyDb) {
    let out = common::lockstep(&[
        "validate",
        "--no-color",
        "--source",
        &source.url(),
        "--target",
        &target.url(),
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

/// Syncs into an empty database, then drifts the copy with `drift` and
/// syncs again; both times the copy must equal the source.
fn empty_then_drifted(source: &MyDb, prefix: &str, drift: &str) {
    let target = MyDb::new(prefix);
    full_sync(source, &target);
    source.assert_same_data(&target);
    assert_eq!(source.show_create_tables(), target.show_create_tables());
    target.exec(&format!(
        "SET FOREIGN_KEY_CHECKS=0; {drift}; SET FOREIGN_KEY_CHECKS=1;"
    ));
    full_sync(source, &target);
    source.assert_same_data(&target);
    assert_eq!(
        source.auto_increment_counters(),
        target.auto_increment_counters()
    );
    validate_is_clean(source, &target);
}

#[test]
fn sakila_with_data() {
    let source = MyDb::new("sak_src");
    source.load_corpus_file(&corpus("sakila/mysql/sakila-schema.sql"), "sakila");
    source.load_corpus_file(&corpus("sakila/mysql/sakila-data.sql"), "sakila");
    assert!(source.rows("rental").len() > 16_000);
    empty_then_drifted(
        &source,
        "sak_tgt",
        "DELETE FROM payment WHERE payment_id % 7 = 0;
         UPDATE rental SET return_date = NULL WHERE rental_id % 11 = 0;
         UPDATE customer SET email = CONCAT('x', email), active = 1 - active WHERE customer_id % 5 = 0;
         DELETE FROM film_actor WHERE actor_id = 3;
         INSERT INTO actor (actor_id, first_name, last_name) VALUES (9001, 'EXTRA', 'ROW');
         UPDATE staff SET store_id = 1, picture = X'00FF' WHERE staff_id = 2;
         UPDATE store SET address_id = 3 WHERE store_id = 1;
         DELETE FROM address WHERE address_id = 1",
    );
}

#[test]
fn chinook_with_data() {
    let source = MyDb::new("chin_src");
    source.load_corpus_file(&corpus("chinook/Chinook_MySql.sql"), "Chinook");
    assert!(source.rows("InvoiceLine").len() > 2000);
    empty_then_drifted(
        &source,
        "chin_tgt",
        "UPDATE Employee SET ReportsTo = NULL WHERE EmployeeId > 3;
         DELETE FROM Employee WHERE EmployeeId = 1;
         UPDATE Track SET UnitPrice = UnitPrice * 2, Name = CONCAT(Name, ' (live)') WHERE TrackId % 9 = 0;
         DELETE FROM InvoiceLine WHERE InvoiceLineId % 13 = 0;
         INSERT INTO Genre (GenreId, Name) VALUES (999, 'Drift')",
    );
}

#[test]
fn employees_schema_and_small_tables() {
    let source = MyDb::new("emp_src");
    let schema = std::fs::read_to_string(corpus("employees/employees.sql")).unwrap();
    // The big dumps are not in the corpus: keep the schema, load the two
    // small tables, and make up the employees dept_manager points at.
    let schema: String = schema
        .lines()
        .filter(|l| !l.trim_start().starts_with("source "))
        .collect::<Vec<_>>()
        .join("\n");
    let path = std::env::temp_dir().join(format!("{}.sql", source.name));
    std::fs::write(&path, schema).unwrap();
    source.load_corpus_file(&path, "employees");
    let _ = std::fs::remove_file(path);
    source.load_file(&corpus("employees/load_departments.dump"));
    // Its managers are made up below, after their rows: load without checks.
    let dump = std::fs::read_to_string(corpus("employees/load_dept_manager.dump")).unwrap();
    let path = std::env::temp_dir().join(format!("{}_dm.sql", source.name));
    std::fs::write(&path, format!("SET FOREIGN_KEY_CHECKS=0;\n{dump}")).unwrap();
    source.load_file(&path);
    let _ = std::fs::remove_file(path);
    source.exec(
        "INSERT INTO employees (emp_no, birth_date, first_name, last_name, gender, hire_date)
         SELECT DISTINCT emp_no, '1960-01-01', CONCAT('E', emp_no), 'Manager', IF(emp_no % 2 = 0, 'M', 'F'), from_date
         FROM dept_manager GROUP BY emp_no;
         INSERT INTO salaries SELECT emp_no, 60000 + emp_no % 1000, from_date, to_date FROM dept_manager;
         INSERT INTO titles SELECT emp_no, 'Manager', from_date, to_date FROM dept_manager;
         INSERT INTO dept_emp SELECT emp_no, dept_no, from_date, to_date FROM dept_manager;",
    );
    assert_eq!(source.rows("dept_manager").len(), 24);
    empty_then_drifted(
        &source,
        "emp_tgt",
        "DELETE FROM employees WHERE emp_no % 3 = 0;
         UPDATE departments SET dept_name = CONCAT(dept_name, '!') WHERE dept_no = 'd005';
         UPDATE salaries SET salary = salary + 1",
    );
}
