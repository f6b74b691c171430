"""Until every caller takes the viewer from its request (``veille.access``), the old names of
the access model. The situations domain lives in ``visibility``, ``reports``, ``feed``,
``problems`` and ``categories``; this module goes once the last caller is converted."""

from __future__ import annotations

from veille import access

Viewer = access.Viewer
viewer_for = access.viewer_of
