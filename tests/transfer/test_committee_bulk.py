"""The committee import in bulk (issue 30, finding 8): the same report and the same rows as
the row-by-row import it replaces (pinned below from that import's own output), in a
number of queries that does not grow with the list, a dry run that writes nothing (on
SQLite: never takes the write lock), progress per chunk, and on SQLite chunks committed
one by one that a failure takes back."""

from __future__ import annotations

import pytest
from allauth.account.models import EmailAddress
from django.db import connection

from reviews.models import ReviewerProfile, TopicExpertise
from tests.factories import TopicFactory, UserFactory, WorkshopFactory, make_chair
from transfer import committee
from transfer.importers import run_import
from workshop.models import Activity, Membership, Role, User

pytestmark = pytest.mark.django_db

HEADER = "email,first,last,affiliation,roles,topic: Efficiency,topic: Evaluation\n"


@pytest.fixture
def world():
    workshop = WorkshopFactory(slug="bulk-ws")
    efficiency = TopicFactory(workshop=workshop, name="Efficiency")
    TopicFactory(workshop=workshop, name="Evaluation")
    chair = make_chair(workshop)
    UserFactory(email="Known@PC.example.org", name="Known Person", affiliation="U1")
    aliased = UserFactory(email="main@pc.example.org", name="Aliased Person", affiliation="U2")
    EmailAddress.objects.create(user=aliased, email="alias@pc.example.org", verified=True)
    member = UserFactory(email="member@pc.example.org", name="Member Already", affiliation="U3")
    Membership.objects.create(workshop=workshop, user=member, role=Role.REVIEWER)
    profile = ReviewerProfile.objects.create(workshop=workshop, user=member)
    TopicExpertise.objects.create(profile=profile, topic=efficiency, level="knowledgeable")
    UserFactory(email="cochair@pc.example.org", name="Co Chair", affiliation="U4")
    return {"ws": workshop, "chair": chair}


CLEAN = HEADER + (
    "new.one@pc.example.org,New,One,Uni 1,pc,2,1\n"
    "KNOWN@pc.example.org,Ignored,Name,Uni 2,pc,,\n"
    "alias@pc.example.org,A,Lias,Uni 3,pc metareviewer,1,\n"
    "member@pc.example.org,Mem,Ber,Uni 4,pc,2,0\n"
    "new.one@pc.example.org,New,One,Uni 1,pc metareviewer,,2\n"
    "new.one@pc.example.org,New,One,Uni 1,pc,1,\n"
    "cochair@pc.example.org,Co,Chair,Uni 5,chair,,\n"
)

# The row-by-row import's report of CLEAN, as it wrote it.
CLEAN_CHANGES = [
    (2, "user.create", "new.one@pc.example.org"),
    (2, "membership.grant", "new.one@pc.example.org as reviewer"),
    (2, "expertise.set", "new.one@pc.example.org: 2 topics"),
    (3, "membership.grant", "known@pc.example.org as reviewer"),
    (4, "membership.grant", "alias@pc.example.org as area chair"),
    (4, "expertise.set", "alias@pc.example.org: 1 topics"),
    (5, "expertise.set", "member@pc.example.org: 1 topics"),
    (6, "membership.grant", "new.one@pc.example.org as area chair"),
    (6, "expertise.set", "new.one@pc.example.org: 1 topics"),
    (7, "expertise.set", "new.one@pc.example.org: 1 topics"),
    (8, "membership.grant", "cochair@pc.example.org as chair"),
]


def clean_state(ws, chair) -> dict[str, object]:
    """The rows the row-by-row import left after CLEAN, as it wrote them."""

    def grant(who: str, role: str, label: str) -> tuple:
        return (
            "membership.grant",
            chair.email,
            who,
            f"{who} is now {label} of {ws}",
            {"role": role},
        )

    return {
        "activity": [
            grant("New One <new.one@pc.example.org>", "reviewer", "reviewer"),
            grant("Known Person <Known@PC.example.org>", "reviewer", "reviewer"),
            grant("Aliased Person <main@pc.example.org>", "area_chair", "area chair"),
            grant("New One <new.one@pc.example.org>", "area_chair", "area chair"),
            grant("Co Chair <cochair@pc.example.org>", "chair", "chair"),
            (
                "transfer.import",
                chair.email,
                str(ws),
                "Imported HotCRP PC list CSV: 5 expertise.set, 5 membership.grant, 1 user.create",
                None,
            ),
        ],
        "addresses": [
            ("Known@PC.example.org", "Known@PC.example.org", True, True),
            ("cochair@pc.example.org", "cochair@pc.example.org", True, True),
            ("main@pc.example.org", "alias@pc.example.org", False, True),
            ("main@pc.example.org", "main@pc.example.org", True, True),
            ("member@pc.example.org", "member@pc.example.org", True, True),
            ("new.one@pc.example.org", "new.one@pc.example.org", True, False),
        ],
        "expertise": [
            ("main@pc.example.org", "Efficiency", "knowledgeable"),
            ("member@pc.example.org", "Efficiency", "expert"),
            ("new.one@pc.example.org", "Efficiency", "knowledgeable"),
            ("new.one@pc.example.org", "Evaluation", "expert"),
        ],
        "memberships": sorted(
            [
                ("Known@PC.example.org", "reviewer"),
                ("cochair@pc.example.org", "chair"),
                ("main@pc.example.org", "area_chair"),
                ("member@pc.example.org", "reviewer"),
                ("new.one@pc.example.org", "area_chair"),
                ("new.one@pc.example.org", "reviewer"),
                (chair.email, "chair"),
            ]
        ),
        "unusable": ["new.one@pc.example.org"],
        "users": [
            ("Known@PC.example.org", "Known Person", "U1", False),
            ("cochair@pc.example.org", "Co Chair", "U4", True),
            ("main@pc.example.org", "Aliased Person", "U2", False),
            ("member@pc.example.org", "Member Already", "U3", False),
            ("new.one@pc.example.org", "New One", "Uni 1", False),
        ],
    }


BAD = HEADER.replace("\n", ",topic: nonexistent\n") + (
    "fine@pc.example.org,Fine,One,Uni,pc,1,,\n"
    "twice@pc.example.org,T,Wice,Uni,pc,,,\n"
    "topic@pc.example.org,T,Opic,Uni,pc,,,2\n"
    "twice@pc.example.org,T,Wice,Uni,pc,,,\n"
)

BAD_ERRORS = [
    {"line": 3, "message": "twice@pc.example.org matches 2 accounts: merge them first."},
    {"line": 4, "message": "Unknown topic: nonexistent."},
    {"line": 5, "message": "twice@pc.example.org matches 2 accounts: merge them first."},
]


def state(workshop) -> dict[str, object]:
    """Every row a committee import writes, by natural keys."""
    return {
        "users": sorted(
            User.objects.filter(email__icontains="pc.example.org").values_list(
                "email", "name", "affiliation", "is_staff"
            )
        ),
        "unusable": sorted(
            u.email
            for u in User.objects.filter(email__icontains="pc.example.org")
            if not u.has_usable_password()
        ),
        "addresses": sorted(
            EmailAddress.objects.filter(email__icontains="pc.example.org").values_list(
                "user__email", "email", "primary", "verified"
            )
        ),
        "memberships": sorted(
            Membership.objects.filter(workshop=workshop).values_list("user__email", "role")
        ),
        "expertise": sorted(
            TopicExpertise.objects.filter(profile__workshop=workshop).values_list(
                "profile__user__email", "topic__name", "level"
            )
        ),
        "activity": list(
            Activity.objects.filter(workshop=workshop)
            .order_by("pk")
            .values_list("action", "actor__email", "target_label", "summary", "after")
        ),
    }


def run(world, data: str, **kwargs):
    return run_import(
        workshop=world["ws"], actor=world["chair"], fmt="hotcrp-pc", data=data.encode(), **kwargs
    )


def test_the_same_report_and_rows_as_the_row_by_row_import(world):
    report = run(world, CLEAN)
    assert report.ok, report.errors
    assert [(c["line"], c["action"], c["object"]) for c in report.changes] == CLEAN_CHANGES
    assert state(world["ws"]) == clean_state(world["ws"], world["chair"])


def test_errors_are_reported_like_the_row_by_row_import_and_nothing_changes(world):
    other = UserFactory(email="twice@pc.example.org")
    second = UserFactory()
    EmailAddress.objects.create(user=second, email="Twice@pc.example.org", verified=True)
    assert other.pk != second.pk
    before = state(world["ws"])
    report = run(world, BAD)
    assert report.errors == BAD_ERRORS
    assert [(c["line"], c["action"]) for c in report.changes] == [
        (2, "user.create"),
        (2, "membership.grant"),
        (2, "expertise.set"),
    ]
    assert state(world["ws"]) == before


def pc_list(lines: int) -> str:
    return HEADER + "".join(
        f"m{i}@pc.example.org,Given{i},Family{i},Uni,{'pc metareviewer' if i % 5 else 'pc'},2,1\n"
        for i in range(lines)
    )


@pytest.mark.parametrize("lines", [10, 300])
def test_the_queries_do_not_grow_with_the_list(world, lines, django_assert_max_num_queries):
    """Row by row it was some 30 queries a line (9,000 for 300 lines)."""
    with django_assert_max_num_queries(40):
        report = run(world, pc_list(lines))
    assert report.ok and report.counts()["user.create"] == lines
    with django_assert_max_num_queries(15):
        report = run(world, pc_list(lines), dry_run=True)
    assert report.ok and "user.create" not in report.counts()


def test_a_dry_run_only_reads(world):
    """No INSERT, UPDATE, SAVEPOINT or transaction: on SQLite it never takes the write lock,
    so nobody waits for a dry run of a long list."""
    statements: list[str] = []

    def record(execute, sql, params, many, context):
        statements.append(sql)
        return execute(sql, params, many, context)

    before = state(world["ws"])
    with connection.execute_wrapper(record):
        report = run(world, CLEAN, dry_run=True)
    assert [(c["line"], c["action"], c["object"]) for c in report.changes] == CLEAN_CHANGES
    assert statements and all(s.lstrip().upper().startswith("SELECT") for s in statements)
    assert state(world["ws"]) == before


def test_progress_is_reported_per_chunk(world, monkeypatch):
    monkeypatch.setattr(committee, "CHUNK", 3)
    seen: list[tuple[int, int]] = []
    run(world, pc_list(7), dry_run=True, progress=lambda done, total: seen.append((done, total)))
    assert seen == [(3, 7), (6, 7), (7, 7)]
    seen.clear()
    run(world, pc_list(7), progress=lambda done, total: seen.append((done, total)))
    assert seen == [(3, 14), (6, 14), (7, 14), (10, 14), (13, 14), (14, 14)]


@pytest.mark.django_db(transaction=True)
def test_chunks_committed_one_by_one_are_taken_back_when_a_later_one_fails(world, monkeypatch):
    """On SQLite each chunk commits on its own (the write lock is held for one chunk, not
    the whole list); a failure in a later chunk takes the earlier ones back."""
    monkeypatch.setattr(committee, "CHUNK", 2)
    before = state(world["ws"])
    writes: list[bool] = []
    between: list[bool] = []
    write = committee.CommitteeImport.write

    def failing(self, step):
        writes.append(connection.in_atomic_block)
        if len(writes) == 3:
            raise committee.DatabaseError("duplicate key value violates unique constraint")
        return write(self, step)

    def progress(done: int, total: int) -> None:
        if done > total // 2:  # the write phase: after each committed chunk
            between.append(connection.in_atomic_block)

    monkeypatch.setattr(committee.CommitteeImport, "write", failing)
    report = committee.Report()
    committee.committee_import(
        workshop=world["ws"], chair=world["chair"], report=report, dry_run=False,
        records=committee_records(CLEAN), commit_chunks=True, progress=progress,
    )  # fmt: skip
    assert "nothing was imported" in report.errors[0]["message"]
    assert writes == [True, True, True] and between == [False, False]
    assert state(world["ws"]) == before

    monkeypatch.setattr(committee.CommitteeImport, "write", write)
    report = committee.Report()
    committee.committee_import(
        workshop=world["ws"], chair=world["chair"], report=report, dry_run=False,
        records=committee_records(CLEAN), commit_chunks=True,
    )  # fmt: skip
    assert report.ok
    expected = clean_state(world["ws"], world["chair"])
    assert state(world["ws"])["memberships"] == expected["memberships"]


def committee_records(data: str):
    from transfer.formats import hotcrp

    return hotcrp.parse_pc(data.encode(), committee.Report()).members
