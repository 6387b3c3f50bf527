python examples/video_file.py clip.mp4 --every 2
