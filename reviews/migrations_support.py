"""SQL for the database trigger that refuses assigning an author to their own paper.

Kept outside the migrations so that every migration that rebuilds `reviews_assignment`
(SQLite drops a table's triggers when it rebuilds it) can re-create it.
"""

AUTHOR_MATCH = """
    SELECT 1 FROM submissions_authorship a
    WHERE a.submission_id = NEW.submission_id AND (
        a.email IN (SELECT lower(e.email) FROM account_emailaddress e
                    WHERE e.user_id = NEW.reviewer_id)
        OR a.email = (SELECT lower(u.email) FROM workshop_user u WHERE u.id = NEW.reviewer_id)
    )
"""

PG_CREATE = f"""
CREATE OR REPLACE FUNCTION reviews_assignment_not_author() RETURNS trigger AS $$
BEGIN
    IF EXISTS ({AUTHOR_MATCH}) THEN
        RAISE EXCEPTION 'reviewer % is an author of submission %',
            NEW.reviewer_id, NEW.submission_id
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER reviews_assignment_not_author
    BEFORE INSERT OR UPDATE ON reviews_assignment
    FOR EACH ROW EXECUTE FUNCTION reviews_assignment_not_author();
"""
PG_DROP = """
DROP TRIGGER IF EXISTS reviews_assignment_not_author ON reviews_assignment;
DROP FUNCTION IF EXISTS reviews_assignment_not_author();
"""
SQLITE_CREATE = [
    f"""
CREATE TRIGGER reviews_assignment_not_author_{event.lower()}
BEFORE {event} ON reviews_assignment
WHEN EXISTS ({AUTHOR_MATCH})
BEGIN
    SELECT RAISE(ABORT, 'reviewer is an author of the submission');
END;
"""
    for event in ("INSERT", "UPDATE")
]
SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS reviews_assignment_not_author_insert;",
    "DROP TRIGGER IF EXISTS reviews_assignment_not_author_update;",
]


def create_assignment_trigger(apps, schema_editor):
    """PostgreSQL: created by the migrations. SQLite rebuilds a table on most ALTERs and then
    trips over (or silently drops) triggers that name it, so there the trigger is dropped
    before every `migrate` and created after it (see ReviewsConfig.ready)."""
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PG_DROP, params=None)
        schema_editor.execute(PG_CREATE, params=None)


def drop_assignment_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PG_DROP, params=None)


def sqlite_trigger_drop(using: str = "default", **kwargs) -> None:
    """pre_migrate: no trigger may stand in the way of SQLite's table rebuilds."""
    from django.db import connections

    connection = connections[using]
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            for statement in SQLITE_DROP:
                cursor.execute(statement)


def sqlite_trigger_create(using: str = "default", **kwargs) -> None:
    """post_migrate: (re-)create the trigger once every table is in its final shape."""
    from django.db import connections

    connection = connections[using]
    if connection.vendor != "sqlite":
        return
    tables = set(connection.introspection.table_names())
    if not {"reviews_assignment", "submissions_authorship", "account_emailaddress"} <= tables:
        return
    with connection.cursor() as cursor:
        for statement in SQLITE_DROP + SQLITE_CREATE:
            cursor.execute(statement)
