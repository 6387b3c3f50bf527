fer-sdk evaluate --data ../shared/datasets/fer2013 --split PublicTest \
    --confusion-png confusion.png --per-class-png per-class.png --tta
