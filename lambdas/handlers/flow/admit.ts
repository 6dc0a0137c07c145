import type { AdmitInput } from '../../use-cases/admission';
import { admissionFromEnv, taskHandler } from './wiring';

const admission = admissionFromEnv();

export const handler = taskHandler((input: AdmitInput) => admission.admit(input));
