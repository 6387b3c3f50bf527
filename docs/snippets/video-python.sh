python examples/make_clip.py clip.mp4
python examples/video_file.py clip.mp4 --every 2
