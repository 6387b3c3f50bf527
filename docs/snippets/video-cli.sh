fer-sdk predict clip.mp4 --out results.jsonl --annotate annotated.mp4 \
    --every 2 --smoothing ema
fer-sdk timeline results.jsonl --out timeline.png
