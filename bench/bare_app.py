"""The baseline every ratio is measured against: a bare Starlette handler."""

from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route


async def hello(request):  # noqa: ANN001, ANN201
    return PlainTextResponse("hello")


app = Starlette(routes=[Route("/", hello)])
