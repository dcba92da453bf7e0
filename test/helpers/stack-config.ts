/** Tests read the real stack files through the same reader the scripts use. */
export { PROJECT_ROOT as ROOT, readStackConfig as stackConfig } from "../../scripts/lib/stack-config";
