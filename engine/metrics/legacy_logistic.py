"""The logistic regression disentanglement_lib's metrics were run with (scikit-learn 0.20's defaults).

disentanglement_lib calls ``LogisticRegression()`` with no arguments (explicitness in
``modularity_explicitness.py``, the classifier of ``beta_vae.py``). In scikit-learn <= 0.21, the versions the
library and its published studies used, that meant ``solver="liblinear"`` and ``multi_class="ovr"``: one binary
L2 logistic regression (C = 1, intercept penalised with ``intercept_scaling=1``) per class, probabilities
normalised across classes. Since 0.22 the default is lbfgs with a multinomial loss, which gives slightly
different numbers; :func:`ovr_logistic_regression` restores the original.
"""

from sklearn.linear_model import LogisticRegression
from sklearn.multiclass import OneVsRestClassifier


def ovr_logistic_regression(random_state: int = 0) -> OneVsRestClassifier:
    """An unfitted one-vs-rest liblinear ``LogisticRegression`` (scikit-learn 0.20's ``LogisticRegression()``).

    For two classes it fits one binary model and ``predict_proba`` returns ``[1 - p, p]``, as the plain
    estimator does; for more classes it normalises the per-class probabilities to sum 1, as 0.20's ``ovr`` did.

    Examples
    --------
    >>> import numpy as np
    >>> clf = ovr_logistic_regression().fit(np.array([[0.0], [1.0], [2.0]]), np.array([0, 1, 2]))
    >>> clf.predict_proba(np.array([[1.0]])).shape
    (1, 3)
    """
    return OneVsRestClassifier(LogisticRegression(solver="liblinear", random_state=random_state))
