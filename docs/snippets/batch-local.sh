fer-sdk batch examples/images clip.mp4 --out results --every 2
# the same command again: what is done is skipped
fer-sdk batch examples/images clip.mp4 --out results --every 2
python examples/batch_query.py results
