import fc from 'fast-check';

// Property tests run with one fixed seed so CI is reproducible (a failure replays exactly).
// Explore new cases locally with FC_SEED=random (or any number).
const seed = process.env.FC_SEED === 'random' ? Date.now() : Number(process.env.FC_SEED ?? 20261126);
fc.configureGlobal({ seed });
