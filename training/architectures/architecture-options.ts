/** What every architecture is built for: the input geometry and the number of classes. */
export interface ArchitectureOptions {
  /** Side of the square grayscale input (48 for FER2013). */
  inputSize: number;
  classes: number;
}
