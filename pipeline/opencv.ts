import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import type * as cvModule from '@u4/opencv4nodejs';

/**
 * The one place that loads @u4/opencv4nodejs. Import OpenCV from here, never directly:
 * - the package's loader locates the system OpenCV from environment variables at require
 *   time (its package.json lookup crashes on this glob version), so defaults for Debian's
 *   libopencv-dev are set first;
 * - its loader logs to stdout, which would corrupt machine-readable output, so it is silenced.
 */
const require = createRequire(import.meta.url);

if (process.platform === 'linux' && existsSync('/usr/include/opencv4')) {
  process.env.OPENCV4NODEJS_DISABLE_AUTOBUILD ??= '1';
  process.env.OPENCV_INCLUDE_DIR ??= '/usr/include/opencv4';
  process.env.OPENCV_LIB_DIR ??= `/usr/lib/${process.arch === 'arm64' ? 'aarch64' : 'x86_64'}-linux-gnu`;
  process.env.OPENCV_BIN_DIR ??= '/usr/bin';
}
// The binding's external-memory reports to V8 can land mid-GC with async calls
// (detectMultiScaleAsync) and abort the process (V8 'marking_done_' check); code that
// loads OpenCV frees its Mats explicitly instead.
process.env.OPENCV4NODEJS_DISABLE_EXTERNAL_MEM_TRACKING ??= '1';
(require('@u4/opencv-build') as { Log: { silence: boolean } }).Log.silence = true;

const cv: typeof cvModule.default = require('@u4/opencv4nodejs');
export default cv;
export type { Mat, Rect } from '@u4/opencv4nodejs';
