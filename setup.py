"""Install msdn_numpy: ``pip install -e ".[test]"`` (see README.md)."""

from setuptools import find_packages, setup

setup(
    name="msdn_numpy",
    version="0.1.0",
    description=(
        "A from-scratch NumPy implementation of MSDN (Multi-Scale Label Dependence "
        "Relation Networks, Kim, Park & Hong, 2021) for multi-label classification"
    ),
    long_description=open("README.md", encoding="utf-8").read(),
    long_description_content_type="text/markdown",
    packages=find_packages(include=["msdn_numpy", "msdn_numpy.*"]),
    python_requires=">=3.10",
    # Run time: nothing beyond these four.
    install_requires=["numpy>=1.24", "scipy>=1.10", "matplotlib>=3.6", "liac-arff>=2.5"],
    extras_require={
        # Test time: pytest, ruff and the oracle scikit-learn (metrics, peer classifiers,
        # the estimators' checks; 1.8 for parametrize_with_checks(xfail_strict=)); nbformat
        # (validates the notebooks `msdn handout` writes), nbclient and ipykernel (execute the
        # tutorials in a Jupyter kernel): the README's test command, no GPU build in it.
        "test": ["pytest>=7", "scikit-learn>=1.8", "ruff>=0.4", "nbformat>=5.7", "nbclient>=0.7", "ipykernel>=6"],
        # The PyTorch oracle of the layers and the bench, on its own (CI installs
        # ".[test,torch]"; without it those tests skip, naming this extra). From the
        # public index torch==2.13.0 is the CUDA build (several GB): install the CPU
        # build first, as README.md says, and pip keeps it.
        "torch": ["torch==2.13.0"],
    },
    # Editable installs put the repository on sys.path (a .pth entry) instead of an import
    # hook, so that `import msdn_numpy` also works from the folder that *contains* a clone
    # named msdn_numpy (the hook would lose to that folder, a namespace package).
    options={"editable_wheel": {"mode": "compat"}},
    entry_points={"console_scripts": ["msdn=msdn_numpy.tools.cli:main"]},
)
