/** asl-validator ships no type declarations; this is the part the tests use. */
declare module 'asl-validator' {
  interface ValidationResult {
    isValid: boolean;
    errors: Array<{ 'Error code': string; Message: string }>;
  }
  function validator(
    definition: unknown,
    options?: { checkArn?: boolean; checkPaths?: boolean },
  ): ValidationResult;
  export = validator;
}
