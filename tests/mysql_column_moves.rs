//! Columns added, dropped and moved in one table converge in one ALTER on
//! MariaDB: every permutation of four columns against targets that lack
//! some and hold others, plus seeded random layouts of six columns, each a
//! table of its own, synced by the binary (`--schema-only`) and compared by
//! `SHOW CREATE TABLE`.

mod common;

use common::MyDb;

/// Each column name's one definition, so only presence and order differ.
fn definition(column: char) -> &'static str {
    match column {
        'a' => "`a` int(11) DEFAULT NULL",
        'b' => "`b` varchar(10) NOT NULL DEFAULT 'x'",
        'c' => "`c` date DEFAULT NULL",
        'd' => "`d` text DEFAULT NULL",
        'e' => "`e` bigint(20) NOT NULL",
        'f' => "`f` decimal(5,2) DEFAULT NULL",
        // Plain here, generated in `generated_layout`: rebuilt, not modified.
        'g' => "`g` int(11) DEFAULT NULL",
        _ => unreachable!(),
    }
}

fn create(table: &str, columns: &[char]) -> String {
    let columns: Vec<&str> = columns.iter().map(|&c| definition(c)).collect();
    format!("CREATE TABLE `{table}` ({})", columns.join(", "))
}

/// Every ordering of `items`.
fn permutations(items: &[char]) -> Vec<Vec<char>> {
    if items.len() <= 1 {
        return vec![items.to_vec()];
    }
    let mut out = Vec::new();
    for (i, &first) in items.iter().enumerate() {
        let mut rest = items.to_vec();
        rest.remove(i);
        for mut tail in permutations(&rest) {
            tail.insert(0, first);
            out.push(tail);
        }
    }
    out
}

/// A small deterministic generator (xorshift), so a failure replays.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }

    /// A non-empty subset of `items` in a random order.
    fn layout(&mut self, items: &[char]) -> Vec<char> {
        let mut pool = items.to_vec();
        let mut out = Vec::new();
        let keep = 1 + self.below(pool.len());
        while out.len() < keep {
            out.push(pool.remove(self.below(pool.len())));
        }
        out
    }
}

#[test]
fn added_dropped_and_moved_columns_converge_in_any_order() {
    let mut cases: Vec<(Vec<char>, Vec<char>)> = vec![
        // The report's table: c1, c2, c3 against c3, c2.
        (vec!['a', 'b', 'c'], vec!['c', 'b']),
    ];
    for source in permutations(&['a', 'b', 'c', 'd']) {
        for target in [
            vec!['a', 'b', 'c', 'd'],
            vec!['d', 'e', 'b'],
            vec!['c', 'a'],
            vec!['e', 'b', 'd', 'c', 'f'],
        ] {
            cases.push((source.clone(), target));
        }
    }
    let mut rng = Rng(0x5eed_1e57);
    let all = ['a', 'b', 'c', 'd', 'e', 'f'];
    for _ in 0..60 {
        cases.push((rng.layout(&all), rng.layout(&all)));
    }
    let source = MyDb::new("moves_src");
    let target = MyDb::new("moves_tgt");
    let (mut sources, mut targets) = (Vec::new(), Vec::new());
    for (i, (src, tgt)) in cases.iter().enumerate() {
        sources.push(create(&format!("t{i}"), src));
        targets.push(create(&format!("t{i}"), tgt));
    }
    // A column that becomes generated is dropped and added again: where
    // it stays, and where it moves after a column added beside it.
    let generated = "`g` int(11) GENERATED ALWAYS AS (`e` + 1) VIRTUAL";
    for (name, src, tgt) in [
        (
            "gen_stays",
            ['e', 'g', 'b', 'c'],
            vec!['c', 'g', 'b', 'e', 'a'],
        ),
        ("gen_moves", ['b', 'e', 'g', 'c'], vec!['c', 'g', 'b']),
    ] {
        let columns: Vec<&str> = src
            .iter()
            .map(|&c| if c == 'g' { generated } else { definition(c) })
            .collect();
        sources.push(format!("CREATE TABLE {name} ({})", columns.join(", ")));
        targets.push(create(name, &tgt));
    }
    source.exec(&sources.join(";\n"));
    target.exec(&targets.join(";\n"));

    let out = common::lockstep_sync("--schema-only", &source.url(), &target.url());
    let text = common::output_text(&out);
    assert_eq!(out.status.code(), Some(0), "{text}");
    let want = source.show_create_tables();
    let got = target.show_create_tables();
    let differing: Vec<String> = want
        .iter()
        .filter(|(name, create)| got.get(*name) != Some(create))
        .map(|(name, create)| {
            let case = name
                .strip_prefix('t')
                .and_then(|i| i.parse::<usize>().ok())
                .map(|i| format!("{:?} <- {:?}", cases[i].0, cases[i].1))
                .unwrap_or_default();
            format!("{name} {case}\nwant {create}\ngot  {:?}", got.get(name))
        })
        .collect();
    assert!(differing.is_empty(), "{}", differing.join("\n\n"));
}
