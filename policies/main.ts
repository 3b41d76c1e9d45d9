// `npm run synth` (cdk8s.yaml: app: npx tsx policies/main.ts) writes dist/ from the reference policy set.
import { synthesizeOrExit } from '../constructs';
import { createReferenceApp } from './app';

synthesizeOrExit(createReferenceApp());
