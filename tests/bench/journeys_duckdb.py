"""The journey benchmark's DuckDB side (collector/examples/journeys.rs runs it): the same
ordered funnel, written as the plain SQL an analyst would write, over the same rows.

    python journeys_duckdb.py EVENTS.csv ROUNDS ENTRY_START_MS ENTRY_END_MS WINDOW_MS STEP...

The CSV has person, name, ts (ms) and seq (storage order). An attempt starts at a step-1
event entering in [ENTRY_START_MS, ENTRY_END_MS); each later step is the earliest event of
its name after the previous step's, ordered by (ts, seq), at most WINDOW_MS after step 1
(inclusive). Greedy earliest is optimal for an ordered funnel, so a person reaches the
furthest step of any of their attempts. Runs the query ROUNDS times. Prints JSON: the people
at each step, each round's seconds, the threads, and the load's seconds (not part of the
query's).
"""

import json
import sys
import time

import duckdb


def main():
    csv, rounds, entry_start, entry_end, window = sys.argv[1], *map(int, sys.argv[2:6])
    steps = sys.argv[6:]
    con = duckdb.connect()
    began = time.perf_counter()
    con.execute(
        "CREATE TABLE events AS SELECT * FROM read_csv(?, header = true, columns = "
        "{'person': 'VARCHAR', 'name': 'VARCHAR', 'ts': 'BIGINT', 'seq': 'BIGINT'})",
        [csv],
    )
    load_seconds = time.perf_counter() - began

    names = ", ".join(f"'{s}'" for s in steps)
    # k orders events as the collector does: by time, then storage order.
    parts = [
        f"e AS (SELECT person, name, ts, ts::HUGEINT * 4294967296 + seq AS k "
        f"FROM events WHERE name IN ({names}))",
        f"s1 AS (SELECT person, ts AS t1, k AS k1, k FROM e "
        f"WHERE name = '{steps[0]}' AND ts >= {entry_start} AND ts < {entry_end})",
    ]
    for i, step in enumerate(steps[1:], start=2):
        parts.append(
            f"s{i} AS (SELECT a.person, a.t1, a.k1, min(b.k) AS k FROM s{i - 1} a "
            f"JOIN e b ON b.person = a.person AND b.name = '{step}' AND b.k > a.k "
            f"AND b.ts <= a.t1 + {window} GROUP BY a.person, a.t1, a.k1)"
        )
    counts = ", ".join(
        f"(SELECT count(DISTINCT person) FROM s{i})" for i in range(1, len(steps) + 1)
    )
    sql = "WITH " + ", ".join(parts) + f" SELECT {counts}"
    seconds = []
    for _ in range(rounds):
        began = time.perf_counter()
        row = con.execute(sql).fetchone()
        seconds.append(time.perf_counter() - began)
    threads = con.execute("SELECT current_setting('threads')").fetchone()[0]
    print(
        json.dumps(
            {
                "counts": list(row),
                "seconds": seconds,
                "threads": threads,
                "load_seconds": load_seconds,
            }
        )
    )


if __name__ == "__main__":
    main()
