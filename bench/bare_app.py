"""The baseline of the API benchmark: bare FastAPI endpoints in the same environment, served the same way."""
from fastapi import FastAPI

app = FastAPI()


@app.get("/bare")
async def bare() -> dict:
    return {"status": "ok"}


@app.get("/bare-sync")
def bare_sync() -> dict:
    return {"status": "ok"}
