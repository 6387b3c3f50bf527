fer-sdk batch /mnt/corpus/interviews --out /mnt/corpus/results \
    --engine ray --address auto \
    --gpus-per-worker 0.5 --cpus-per-worker 4
