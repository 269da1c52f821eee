"""No ORM write outside the services and writers (issue 22): the API, the importer, the
views and the admin validate, then call a service or a writer; none of them writes a row
itself. A grep-level check: a write pattern in one of these files fails with its place."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
APPS = ("workshop", "submissions", "reviews", "programme", "transfer", "api")
# `.save(`/`.delete()` of a model, the manager's writes, a queryset's `.update(`.
WRITE = re.compile(
    r"\.objects\.(create|get_or_create|update_or_create|bulk_create|bulk_update|update)\("
    r"|\.(bulk_create|bulk_update)\("
    r"|\)\.(update|delete)\("
    r"|\.save\((?!\s*commit\s*=\s*False)"
    r"|\.delete\(\)"
)


def guarded_files() -> list[Path]:
    files = [p for p in (ROOT / "api").rglob("*.py") if "migrations" not in p.parts]
    files = [p for p in files if p.name != "services.py" and "management" not in p.parts]
    files.append(ROOT / "transfer" / "importers.py")
    for app in APPS:
        base = ROOT / app
        files += [base / "views.py", base / "views_chair.py", base / "admin.py"]
        files += list((base / "views").glob("*.py")) + list((base / "admin").glob("*.py"))
        files += list(base.glob("admin_*.py"))
    return sorted({p for p in files if p.exists()})


def writes_in(path: Path) -> list[str]:
    found = []
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        code = line.split("#", 1)[0]
        if WRITE.search(code):
            found.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    return found


def test_the_api_the_importer_the_views_and_the_admin_write_only_through_services():
    files = guarded_files()
    assert len(files) > 30  # the walk finds the files it guards
    found = [hit for path in files for hit in writes_in(path)]
    assert not found, "ORM writes outside a service or writer:\n" + "\n".join(found)


def test_the_check_finds_a_write(tmp_path):
    sample = tmp_path / "views.py"
    sample.write_text(
        "def view(request):\n"
        "    Paper.objects.create(title='x')  # a write\n"
        "    form.save(commit=False)\n"
        "    paper.save()\n"
        "    Paper.objects.filter(pk=1).update(title='y')\n"
    )
    global ROOT
    saved, ROOT = ROOT, tmp_path
    try:
        assert [hit.split(":")[1] for hit in writes_in(sample)] == ["2", "4", "5"]
    finally:
        ROOT = saved
