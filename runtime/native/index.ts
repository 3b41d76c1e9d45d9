/** Native enforcement: bundle rules compiled to ValidatingAdmissionPolicy CEL (see compile.ts). */
export {
  compilePolicy,
  validationActions,
  NATIVE_NAME_PREFIX,
  NOT_COMPILED_FAMILIES,
  type CompiledPolicy,
  type CompileOptions,
  type EnforcementTarget,
  type NativeObjects,
  type NativeRuleResult,
  type NativeSelectors,
} from './compile';
export { FAMILY_COMPILERS } from './families';
