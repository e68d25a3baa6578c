"""OPTIONS answers that list every method of a path (a workaround for a Litestar 2 bug).

When two handlers share a path (GET and POST of `/api/recalculations`), Litestar 2 keeps the
OPTIONS handler made for the first one, so `Allow` named only GET (litestar-org/litestar#4169,
fixed in Litestar 3). Its OPTIONS handler reads the methods of the route it closes over: point
it at the whole route. Remove this module with the move to Litestar 3.
"""

from __future__ import annotations

from litestar import Litestar
from litestar.routes import HTTPRoute


def allow_every_method(app: Litestar) -> None:
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        for handler in route.route_handlers:
            function = getattr(handler, "fn", None)
            if getattr(function, "__name__", "") != "options_handler":
                continue
            for cell in function.__closure__ or ():
                if isinstance(cell.cell_contents, HTTPRoute):
                    cell.cell_contents = route
