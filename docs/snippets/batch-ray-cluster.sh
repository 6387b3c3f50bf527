# on the head node (fer_sdk[ray] installed on every node,
# the corpus on storage they all read)
ray start --head --port 6379
# on each other node
ray start --address HEAD_IP:6379
# from any machine that can reach the head node
fer-sdk batch /mnt/corpus/interviews /mnt/corpus/photos --out /mnt/corpus/results \
    --engine ray --address HEAD_IP:6379 --every 5 --detect-every 3
