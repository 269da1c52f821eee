"""The named permissions of import and export: chairs of the workshop; restoring a new
workshop from an archive, the administrators."""

from __future__ import annotations

import rules

from workshop.permissions import is_chair

# Recreate a whole workshop (a new one) from an archive: the deployment's administrators.
rules.add_perm("transfer.restore", rules.is_superuser)

# Import papers, committees, reviews or a whole-workshop archive into a workshop.
rules.add_perm("transfer.import", is_chair)
# Download the full archive of a workshop (every row and file).
rules.add_perm("transfer.export", is_chair)
