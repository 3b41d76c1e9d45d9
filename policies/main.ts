// PLACEHOLDER app until the DSL lands: synthesizes an empty chart.
import { App, Chart } from 'cdk8s';

const app = new App();
new Chart(app, 'portcullis');
app.synth();
