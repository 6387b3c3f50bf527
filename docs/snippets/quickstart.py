"""The shortest complete use of fer_sdk: every face of a photo with its emotion."""

import cv2

from fer_sdk import EmotionRecognizer

recognizer = EmotionRecognizer()
faces = recognizer.predict(cv2.imread("examples/images/astronaut.png"))
for face in faces:
    print(face.box, face.emotion, face.confidence)
