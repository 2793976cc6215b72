"""`python -m recordings.captions`: the live-caption service (AudioSocket
server, AMI follower, /health on YHT_CAPTIONS_HTTP_PORT)."""

from __future__ import annotations

import asyncio
import logging

import uvicorn
from fastapi import FastAPI
from fastapi.responses import JSONResponse, Response
from redis.asyncio import Redis

from recordings.asr import ModelMissing, load_model
from recordings.captions.service import CaptionService
from recordings.captions.settings import CaptionSettings
from yht import logs
from yht.metrics import exposition, supervised

log = logging.getLogger("recordings.captions")


def health_app(service: CaptionService) -> FastAPI:
    app = FastAPI(title="yihaotong live captions", openapi_url=None)

    @app.get("/health")
    def health() -> JSONResponse:
        body = service.health()
        return JSONResponse(body, status_code=200 if body["ok"] else 503)

    @app.get("/metrics")
    def metrics() -> Response:
        figures = {
            **supervised("captions", service.supervisor),
            "yht_captions_streams": ("gauge", "legs being captioned",
                                     [({}, float(len(service.streams)))]),
            "yht_captions_published": ("counter", "captions published",
                                       [({}, float(service.counts["published"]))]),
            "yht_captions_unavailable": ("counter", "calls without captions (legs all busy)",
                                         [({}, float(service.counts["unavailable"]))]),
            "yht_captions_skipped_audio_seconds": (
                "counter", "audio skipped, recognizer behind",
                [({}, float(service.counts["skipped_audio_s"]))]),
        }  # fmt: skip
        body, kind = exposition(lambda: figures)
        return Response(body, media_type=kind)

    return app


async def serve(settings: CaptionSettings) -> None:
    model, rate = load_model(settings.model_dir)  # once per process
    redis = Redis.from_url(settings.redis_url, socket_timeout=settings.redis_timeout_s,
                           socket_connect_timeout=settings.redis_timeout_s)  # fmt: skip
    service = CaptionService(settings, redis, model, rate)
    server = await asyncio.start_server(service.handle, settings.host, settings.port,
                                        limit=64 * 1024)  # fmt: skip
    await service.start()
    config = uvicorn.Config(health_app(service), host=settings.host, port=settings.http_port,
                            log_level="warning")  # fmt: skip
    log.info("live captions: AudioSocket on %s:%d, model %s (%d Hz)", settings.host,
             settings.port, settings.model_dir, rate)  # fmt: skip
    try:
        await uvicorn.Server(config).serve()  # until SIGINT / SIGTERM
    finally:
        server.close()
        await service.stop()
    await redis.aclose()


def main() -> None:
    logs.setup()
    try:
        asyncio.run(serve(CaptionSettings()))
    except ModelMissing as error:
        raise SystemExit(f"live captions refused to start: {error}") from None


if __name__ == "__main__":
    main()
