"""A literate research workbook on when to trust a classifier: TRUST-LAPSE, MACS and confidently classified counterfeits

Modules:

- `trustbook.attacks`: BIM, PGD, Carlini-Wagner L2 and DeepFool through the adversarial-robustness-toolbox, in $[0,1]$ pixel space, with the success bookkeeping the MACS paper uses.
- `trustbook.baselines`: The post-hoc trust scores every method in the workbook is compared against: MSP, predictive entropy, KL to the uniform distribution, energy, ODIN, Mahalanobis with a tied covariance, and Monte-Carlo dropout.
- `trustbook.bench`: Timing of the workbook's methods, behind `trustbook bench NAME` (see `09_cli`): a tooling notebook, last in the course, so that no method module carries a command line or a timer.
- `trustbook.cf_protocol`: The shared plumbing of the counterfeits experiment notebooks (`nbs/experiments/40_cf_*.ipynb`): which zoo classifier each dataset inverts, and the generator trained (or loaded) against it.
- `trustbook.corruptions`: The 15 CIFAR-C corruptions of Hendrycks & Dietterich (ICLR 2019) at 5 severities, written with NumPy, SciPy, scikit-image and PIL, for near-OOD experiments without the CIFAR-100-C files.
- `trustbook.counterfeits`: Network inversion with one-hot conditioning: a generator, trained against a frozen classifier with no training data, that makes inputs the classifier trusts although they lie far from its training data.
- `trustbook.data`: Real datasets behind one `load` call: data cards with checksums, integrity checks, a decode-once tensor cache, derived shifted sets, and the `trustbook data` command.
- `trustbook.drift`: River's streaming drift detectors (ADWIN, KSWIN, Page-Hinkley) run over the same latent-score streams as TRUST-LAPSE's sequential test, scored by the same `drift_metrics`, at their defaults and calibrated to a false-alarm budget by simulation.
- `trustbook.macs`: Corevectors from the SVD of each layer's affine operator, Gaussian-mixture clusters, classification maps, proto-maps, and one cosine score for misclassifications, out-of-distribution inputs and attacks.
- `trustbook.macs_baselines`: DOCTOR, Relative Uncertainty, Feature Squeezing and the Deep Mahalanobis Detector (base, aware, unaware): the methods the MACS paper compares against, all behind the workbook's detector protocol.
- `trustbook.macs_protocol`: The shared plumbing of the MACS experiment notebooks (`nbs/experiments/3*_macs_*.ipynb`): seeded random subsets of a dataset's splits, each from its own generator, and a stopwatch for the seconds of each stage.
- `trustbook.regen`: Run every experiment notebook with a profile's parameters, in parallel, skipping what is unchanged, and index every figure and table it writes.
- `trustbook.tl_protocol`: The shared plumbing of the TRUST-LAPSE experiment notebooks (`nbs/experiments/2*_tl_*.ipynb`): which zoo model each domain uses, which test and shifted sets it is evaluated on, the semantic splits, the scoring of every detector on every set, and the paper's metrics with bootstrap intervals.
- `trustbook.trust_lapse`: Latent-space and sequential mistrust scores for model monitoring (Bhaskhar, Rubin & Lee-Messer, arXiv 2207.11290): a coreset of training latents, Mahalanobis distance and cosine similarity combined into one latent-space score, a sliding-window Mann-Whitney test for streams, and the paper's drift-detection protocol.
- `trustbook.zoo_protocol`: The shared plumbing of the zoo notebooks (`nbs/experiments/0[1-3]_zoo*.ipynb`): train (or load) each model of a profile with each of its seeds, pool its test accuracy over seeds with a Wilson interval, and judge it against the reference profile's floor."""

__version__ = "0.1.0"
