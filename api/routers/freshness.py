"""Per feed: its latest release, when it was published and when the platform received it, and "no releases" where
there are none — a deployment may not have every feed, and one it lacks is said (rpt_feed_freshness)."""
from fastapi import APIRouter

from api.problems import PROBLEM_RESPONSES
from api.responses import EXPORT_RESPONSES, Context, FormatParam, Listing, Page, PagingQuery, Serve
from api.schemas.freshness import FeedFreshness

router = APIRouter(tags=["data quality"], responses=PROBLEM_RESPONSES)


def _freshness(ctx: Context) -> Listing:
    table = ctx.rows(f"SELECT {', '.join(FeedFreshness.model_fields)} FROM rpt_feed_freshness "
                     "ORDER BY status DESC, feed")
    return Listing(table, FeedFreshness, ctx.served())


@router.get("/freshness", response_model=Page[FeedFreshness], responses=EXPORT_RESPONSES,
            summary="Each feed's latest release, published and received when, or 'no releases'")
async def freshness(serve: Serve, paging: PagingQuery, format: FormatParam = None):
    """Every feed the platform knows, one row each: the newest release it holds, when that release was published
    and when the platform received it, how many releases it holds and how old the newest is — and `status` 'no
    releases' for a feed it holds none of (a series whose index lists none, a mirror without the CQC API). Public:
    it says what is held, never the figures."""
    return await serve.respond(_freshness, paging_=paging)
