fer-sdk evaluate --data ../shared/datasets/fer2013 --split PublicTest \
    --precision float32 --tta \
    --confusion-png confusion.png --per-class-png per-class.png
