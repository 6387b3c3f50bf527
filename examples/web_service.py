"""A small HTTP service: POST an image, get its faces and emotions as JSON.

    python examples/web_service.py [--port 8000]
    curl --data-binary @examples/images/astronaut.png http://127.0.0.1:8000/predict

Only the standard library's threaded HTTP server and fer_sdk: one recognizer,
built and warmed up at start-up, shared by the request threads. Bad uploads get
a 400 with fer_sdk's error message, never a stack trace.
"""

from __future__ import annotations

import argparse
import json
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import cv2
import numpy as np

from fer_sdk import EmotionRecognizer, FerSdkError

MAX_UPLOAD = 20 * 1024 * 1024  # bytes

recognizer = EmotionRecognizer().warmup()  # once, at start-up


class Handler(BaseHTTPRequestHandler):
    """``POST /predict`` with the encoded image (PNG, JPEG, ...) as the body."""

    def do_POST(self) -> None:
        if self.path != "/predict":
            self.reply(
                404, {"error": f"no such endpoint {self.path}; POST images to /predict"}
            )
            return
        size = int(self.headers.get("Content-Length") or 0)
        if not 0 < size <= MAX_UPLOAD:
            self.reply(
                400,
                {
                    "error": "send the image as the request body "
                    f"(1 byte to {MAX_UPLOAD} bytes)"
                },
            )
            return
        image = cv2.imdecode(
            np.frombuffer(self.rfile.read(size), np.uint8), cv2.IMREAD_COLOR
        )
        try:
            if image is None:
                raise FerSdkError(
                    "the body is not an image OpenCV can decode (PNG, JPEG, BMP, ...)"
                )
            faces = recognizer.predict(image)
        except FerSdkError as exc:
            self.reply(400, {"error": str(exc)})
            return
        self.reply(200, {"faces": [face.model_dump() for face in faces]})

    def reply(self, status: int, body: dict[str, object]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(
        self, format: str, *args: object
    ) -> None:  # quiet; a real service would log
        pass


def serve(port: int = 8000, host: str = "127.0.0.1") -> ThreadingHTTPServer:
    """The server, bound, not serving (call ``serve_forever``); port 0: a free one."""
    return ThreadingHTTPServer((host, port), Handler)


if __name__ == "__main__":
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--port", type=int, default=8000)
    args = ap.parse_args()
    server = serve(args.port)
    print(
        f"listening on http://127.0.0.1:{server.server_address[1]}/predict", flush=True
    )
    server.serve_forever()
