"""PostgreSQL upkeep of the ledger's derived search columns (migration 0005).

Two columns of ledger_issue are kept by the database, so rows written by any path — the
app, the importer, a bulk COPY — are findable without the app's help:

- ``involved`` (bigint[]): the raising, lead and co-departments, GIN-indexed, so a staff
  member's visibility (raising OR lead OR co-department) is one index condition
  ``involved @> ARRAY[dept]`` instead of an OR with an EXISTS (a sequential scan at 1M rows);
- ``search_grams`` (text[]): the 2-character substrings of number, title and
  description (lower-cased, none containing white space), GIN-indexed. A search for a
  text of 2+ characters first asks for rows holding all its bigrams (``@>``, the index),
  then checks ``ILIKE '%text%'`` on those candidates only. pg_trgm cannot do this: a
  2-character Chinese word has no complete trigram.

A row trigger on ledger_issue fills both on INSERT (COPY included) and when number, title,
description or a department changes (or the app's save wrote NULL); statement triggers on
the co-department table refresh ``involved`` of the issues whose rows changed.
``manage.py issues_reindex`` recomputes both for every issue, set-based, in batches (for a
bulk load with the triggers disabled). Other databases have neither and take the plain path.
"""

FUNCTIONS_SQL = r"""
CREATE OR REPLACE FUNCTION ledger_text_grams(t text) RETURNS text[]
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
-- every 2-character piece without white space, lower-cased; repeats are left in (the GIN
-- index keeps each key once per row), a loop being several times faster than a query
DECLARE
  s text := regexp_replace(lower(coalesce(t, '')), '\s', ' ', 'g');
  n int := char_length(s);
  grams text[] := '{}';
  g text;
BEGIN
  FOR i IN 1 .. n - 1 LOOP
    g := substr(s, i, 2);
    IF strpos(g, ' ') = 0 THEN
      grams := grams || g;
    END IF;
  END LOOP;
  RETURN grams;
END $$;

CREATE OR REPLACE FUNCTION ledger_issue_involved(issue bigint, raising bigint, lead bigint)
RETURNS bigint[] LANGUAGE sql STABLE AS $$
  SELECT coalesce(array_agg(DISTINCT d ORDER BY d), '{}'::bigint[])
  FROM (SELECT raising AS d UNION ALL SELECT lead
        UNION ALL SELECT department_id FROM ledger_issue_co_departments WHERE issue_id = issue) AS x
  WHERE d IS NOT NULL
$$;

CREATE OR REPLACE FUNCTION ledger_issue_derive() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' OR NEW.search_grams IS NULL
     OR NEW.number IS DISTINCT FROM OLD.number OR NEW.title IS DISTINCT FROM OLD.title
     OR NEW.description IS DISTINCT FROM OLD.description THEN
    NEW.search_grams := ledger_text_grams(NEW.number || ' ' || NEW.title || ' ' || NEW.description);
  END IF;
  IF TG_OP = 'INSERT' OR NEW.involved IS NULL
     OR NEW.raising_department_id IS DISTINCT FROM OLD.raising_department_id
     OR NEW.lead_department_id IS DISTINCT FROM OLD.lead_department_id THEN
    NEW.involved := ledger_issue_involved(
      NEW.id, NEW.raising_department_id, NEW.lead_department_id);
  END IF;
  RETURN NEW;
END $$;

CREATE OR REPLACE FUNCTION ledger_issue_co_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP IN ('INSERT', 'UPDATE') THEN
    UPDATE ledger_issue AS i
       SET involved = ledger_issue_involved(i.id, i.raising_department_id, i.lead_department_id)
     WHERE i.id IN (SELECT issue_id FROM changed_new);
  END IF;
  IF TG_OP IN ('DELETE', 'UPDATE') THEN
    UPDATE ledger_issue AS i
       SET involved = ledger_issue_involved(i.id, i.raising_department_id, i.lead_department_id)
     WHERE i.id IN (SELECT issue_id FROM changed_old);
  END IF;
  RETURN NULL;
END $$;
"""

TRIGGERS_SQL = """
CREATE TRIGGER ledger_issue_derived BEFORE INSERT OR UPDATE ON ledger_issue
  FOR EACH ROW EXECUTE FUNCTION ledger_issue_derive();
CREATE TRIGGER ledger_issue_co_inserted AFTER INSERT ON ledger_issue_co_departments
  REFERENCING NEW TABLE AS changed_new
  FOR EACH STATEMENT EXECUTE FUNCTION ledger_issue_co_changed();
CREATE TRIGGER ledger_issue_co_deleted AFTER DELETE ON ledger_issue_co_departments
  REFERENCING OLD TABLE AS changed_old
  FOR EACH STATEMENT EXECUTE FUNCTION ledger_issue_co_changed();
CREATE TRIGGER ledger_issue_co_updated AFTER UPDATE ON ledger_issue_co_departments
  REFERENCING NEW TABLE AS changed_new OLD TABLE AS changed_old
  FOR EACH STATEMENT EXECUTE FUNCTION ledger_issue_co_changed();
"""

INDEXES_SQL = """
CREATE INDEX IF NOT EXISTS issue_involved_gin ON ledger_issue USING gin (involved);
CREATE INDEX IF NOT EXISTS issue_search_grams_gin ON ledger_issue USING gin (search_grams);
CREATE INDEX IF NOT EXISTS issue_deadline_desc ON ledger_issue (deadline DESC NULLS LAST);
"""

DROP_SQL = """
DROP TRIGGER IF EXISTS ledger_issue_derived ON ledger_issue;
DROP TRIGGER IF EXISTS ledger_issue_co_inserted ON ledger_issue_co_departments;
DROP TRIGGER IF EXISTS ledger_issue_co_deleted ON ledger_issue_co_departments;
DROP TRIGGER IF EXISTS ledger_issue_co_updated ON ledger_issue_co_departments;
DROP INDEX IF EXISTS issue_involved_gin;
DROP INDEX IF EXISTS issue_search_grams_gin;
DROP INDEX IF EXISTS issue_deadline_desc;
DROP FUNCTION IF EXISTS ledger_issue_co_changed();
DROP FUNCTION IF EXISTS ledger_issue_derive();
DROP FUNCTION IF EXISTS ledger_issue_involved(bigint, bigint, bigint);
DROP FUNCTION IF EXISTS ledger_text_grams(text);
"""

# one batch of the set-based backfill: issues with id in [%(low)s, %(high)s)
REINDEX_BATCH_SQL = """
UPDATE ledger_issue AS i
   SET search_grams = ledger_text_grams(i.number || ' ' || i.title || ' ' || i.description),
       involved = coalesce((
         SELECT array_agg(DISTINCT d ORDER BY d)
           FROM unnest(ARRAY[i.raising_department_id, i.lead_department_id]
                       || coalesce(co.ids, '{}')) AS d
          WHERE d IS NOT NULL), '{}')
  FROM (SELECT x.id, c.ids
          FROM ledger_issue AS x
          LEFT JOIN (SELECT issue_id, array_agg(department_id) AS ids
                       FROM ledger_issue_co_departments
                      WHERE issue_id >= %(low)s AND issue_id < %(high)s GROUP BY issue_id) AS c
                 ON c.issue_id = x.id
         WHERE x.id >= %(low)s AND x.id < %(high)s) AS co
 WHERE i.id = co.id
"""

BATCH = 100_000


def reindex(connection, *, batch: int = BATCH, stdout=None) -> int:
    """Recompute ``involved`` and ``search_grams`` of every issue (PostgreSQL only),
    in id ranges of `batch` rows, set-based. Returns the number of rows updated."""
    if connection.vendor != "postgresql":
        return 0
    done = 0
    with connection.cursor() as cursor:
        cursor.execute("SELECT min(id), max(id) FROM ledger_issue")
        low, high = cursor.fetchone()
        if low is None:
            return 0
        # the row trigger would recompute the same values again; the batch sets them
        while low <= high:
            cursor.execute(REINDEX_BATCH_SQL, {"low": low, "high": low + batch})
            done += cursor.rowcount
            low += batch
            if stdout is not None:
                stdout.write(f"{done}\n")
    return done


def install(connection) -> None:
    """Functions, backfill of existing rows, then the triggers (PostgreSQL only)."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute(FUNCTIONS_SQL)
    reindex(connection)
    with connection.cursor() as cursor:
        cursor.execute(TRIGGERS_SQL)


# Covering indexes (PostgreSQL only: SQLite has no INCLUDE) that let the figures be counted
# from an index alone (migration 0008): the assessment reads a period's issues by
# deadline with every column its counts and day histograms use; the dashboard and the
# overdue counts read the issues still being worked by status and deadline, grouped by
# unit, leader, category or source.
COVERING_SQL = """
CREATE INDEX IF NOT EXISTS issue_assessment ON ledger_issue (deadline)
  INCLUDE (id, status, lead_department_id, leader_id, assigned_at, accepted_at, resolved_at,
           resolved_on_time, satisfaction, is_escalated, enterprise_id);
CREATE INDEX IF NOT EXISTS issue_open_groups ON ledger_issue (status, deadline)
  INCLUDE (lead_department_id, leader_id, category_id, source_id)
  WHERE status IN ('raised', 'assigned', 'in_progress', 'resolved');
"""
COVERING_DROP_SQL = """
DROP INDEX IF EXISTS issue_assessment;
DROP INDEX IF EXISTS issue_open_groups;
"""


# The ledger's default order (newest first) with what a department's visibility reads
# (migration 0015): a deep page of a staff member's ledger walks this index alone,
# filtering on `involved` and `raised_by_id`, instead of reading every row it passes from the
# table — page 2000 of the busiest department passed 160,000 rows (40,000 pages read, 160–250
# ms at a million issues; 38 ms from the index). An index-only scan needs the visibility map
# (VACUUM, which autovacuum does).
LEDGER_ORDER_SQL = """
CREATE INDEX IF NOT EXISTS issue_newest_visible ON ledger_issue (year DESC, seq DESC)
  INCLUDE (id, involved, raised_by_id);
"""
LEDGER_ORDER_DROP_SQL = "DROP INDEX IF EXISTS issue_newest_visible;"


def _on_postgresql(connection, sql: str, *, build: bool = False) -> None:
    """Run `sql` on PostgreSQL (nothing elsewhere); `build`: with memory for index builds."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        if build:
            cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
        cursor.execute(sql)


def install_ledger_order(connection) -> None:
    _on_postgresql(connection, LEDGER_ORDER_SQL, build=True)


def uninstall_ledger_order(connection) -> None:
    _on_postgresql(connection, LEDGER_ORDER_DROP_SQL)


def install_covering(connection) -> None:
    _on_postgresql(connection, COVERING_SQL, build=True)


def uninstall_covering(connection) -> None:
    _on_postgresql(connection, COVERING_DROP_SQL)


def install_indexes(connection) -> None:
    """The GIN indexes over both columns (PostgreSQL only)."""
    _on_postgresql(connection, INDEXES_SQL, build=True)


def uninstall(connection) -> None:
    _on_postgresql(connection, DROP_SQL)
