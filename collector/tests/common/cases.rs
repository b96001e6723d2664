//! A table of named edge cases, each run on SQLite as a test of its own and all of them on
//! one real ClickHouse server: a test file implements [`EdgeCase`] for its case type, has a
//! `fn cases()`, and lists the cases' names in [`edge_cases!`], which writes the tests.

use waymark_collector::store::EventStore;
use waymark_collector::SqliteStore;

/// One named case of a table.
// The futures are awaited where they are made, never sent between threads, so the missing
// `Send` bound the lint warns of is not needed.
#[allow(async_fn_in_trait)]
pub trait EdgeCase {
    /// Its name, which is the name of its SQLite test.
    fn name(&self) -> &'static str;
    /// Stores the case's events in `store` (empty) and checks the report; `Err` says what
    /// differs.
    async fn run_on(&self, store: &dyn EventStore) -> Result<(), String>;
}

/// Runs the case called `name` on a fresh SQLite store.
pub async fn on_sqlite<C: EdgeCase>(cases: Vec<C>, name: &str) {
    let case = cases
        .into_iter()
        .find(|c| c.name() == name)
        .unwrap_or_else(|| panic!("no case is called {name}"));
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("events.db")).unwrap();
    if let Err(problem) = case.run_on(&store).await {
        panic!("{problem}");
    }
}

/// Runs every case on one ClickHouse server, each in a database of its own, and fails with
/// every case that failed.
#[allow(clippy::print_stdout)] // Names each case as it passes.
pub async fn on_clickhouse<C: EdgeCase>(cases: Vec<C>) {
    let server = super::clickhouse::start_clickhouse().await;
    let mut failures = Vec::new();
    for (i, case) in cases.iter().enumerate() {
        let store = super::journeys::clickhouse_store(&server.url, &format!("case_{i}")).await;
        match case.run_on(&store).await {
            Ok(()) => println!("clickhouse: {} ok", case.name()),
            Err(problem) => failures.push(problem),
        }
    }
    println!(
        "clickhouse: {} cases, {} failed",
        cases.len(),
        failures.len()
    );
    assert!(failures.is_empty(), "\n{}", failures.join("\n\n"));
}

/// Fails when a case has no SQLite test in `listed`.
pub fn each_is_listed<C: EdgeCase>(cases: &[C], listed: &[&str]) {
    for case in cases {
        assert!(
            listed.contains(&case.name()),
            "{} is not listed in edge_cases!",
            case.name()
        );
    }
}

/// Writes, for the file's `cases()`: a test per listed case on SQLite (in `mod on_sqlite`),
/// `every_case_has_its_sqlite_test`, and `every_edge_case_on_clickhouse`.
#[macro_export]
macro_rules! edge_cases {
    ($($name:ident),* $(,)?) => {
        mod on_sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    $crate::common::cases::on_sqlite(super::cases(), stringify!($name)).await;
                }
            )*
        }

        #[test]
        fn every_case_has_its_sqlite_test() {
            $crate::common::cases::each_is_listed(&cases(), &[$(stringify!($name)),*]);
        }

        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn every_edge_case_on_clickhouse() {
            $crate::common::cases::on_clickhouse(cases()).await;
        }
    };
}
