import cv from '../../pipeline/opencv.ts';
import type { BoxPx } from '../../pipeline/messages.ts';
import type { BgrFrame } from '../../pipeline/frames/bgr-image.ts';
import { faceApiSamplePhoto } from './paths.ts';

/** sample3.jpg (1920x1350, shipped in @vladmandic/face-api) as a BGR frame, and its three faces as the Haar detector finds them. */
export function sample3WithFaces(): { photo: BgrFrame; faces: BoxPx[] } {
  const image = cv.imread(faceApiSamplePhoto(3));
  return {
    photo: { pixels: image.getData(), width: image.cols, height: image.rows },
    faces: [
      { x: 551, y: 339, width: 251, height: 251 },
      { x: 1015, y: 209, width: 315, height: 315 },
      { x: 1482, y: 313, width: 249, height: 249 },
    ],
  };
}
