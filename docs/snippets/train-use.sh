fer-sdk predict --classifier runs/fernet_fer7 examples/images/astronaut.png
fer-sdk evaluate --data ../shared/datasets/fer2013 --split PublicTest \
    --model runs/fernet_fer7
