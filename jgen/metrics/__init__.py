"""Evaluation metrics: clustering accuracy (and its matched contingency
table), mode coverage of 2-D GAN samples, sample quality on classifier
features (Frechet distance, Inception-style score, improved
precision/recall, density/coverage, and the :class:`SampleQuality`
evaluator that gives them all against a test split), the task metrics of
the assembled models (error rate, conditional accuracy, InfoGAN's code
accuracy and code information, the class kept by a translation, PSNR), the
spread of a result over seeds (mean and sample std), and the shipped MNIST
classifier whose features and probabilities they use."""

from jgen.metrics._classifier import classifier_info
from jgen.metrics._classifier import mnist_features
from jgen.metrics._classifier import save_classifier
from jgen.metrics._classifier import to_28x28
from jgen.metrics._clustering import cluster_accuracy
from jgen.metrics._clustering import matched_table
from jgen.metrics._features import frechet_distance
from jgen.metrics._features import inception_score
from jgen.metrics._features import precision_recall_density_coverage
from jgen.metrics._modes import mode_coverage
from jgen.metrics._quality import SampleQuality
from jgen.metrics._spread import mean_std
from jgen.metrics._tasks import class_kept
from jgen.metrics._tasks import code_accuracy
from jgen.metrics._tasks import code_information
from jgen.metrics._tasks import conditional_accuracy
from jgen.metrics._tasks import error_rate
from jgen.metrics._tasks import psnr

__all__ = ["SampleQuality", "class_kept", "classifier_info", "code_accuracy",
           "code_information", "conditional_accuracy", "cluster_accuracy",
           "error_rate", "frechet_distance", "inception_score",
           "matched_table", "mean_std", "mnist_features", "mode_coverage",
           "precision_recall_density_coverage", "psnr", "save_classifier",
           "to_28x28"]
