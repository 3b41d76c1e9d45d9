// `npm run synth` (cdk8s.yaml: app: npx tsx policies/main.ts) writes dist/ from the reference policy set.
import { createReferenceApp } from './app';

createReferenceApp().synth();
