fer-sdk evaluate --data ../shared/datasets/ferplus --split FER2013Valid \
    --precision float32 \
    --confusion-png confusion-votes.png --reliability-png reliability.png
fer-sdk evaluate --data ../shared/datasets/ferplus --split FER2013Valid \
    --precision float32 --decision calibrated --json
