# The app in a container, for any host that runs one (Hugging Face Spaces builds it as is: the Docker
# SDK, set in README.md's header). docker build -t textclf . && docker run -p 8501:8501 textclf
FROM python:3.11-slim

# g++, ninja (and the C library's headers): torch.utils.cpp_extension builds the training kernel,
# textclf's rowadam.c, on first use; without them the same arithmetic runs as PyTorch ops, about
# 2x slower. Not pinned to Debian
# versions: the archive replaces them on every security update, which would break the build.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends g++ ninja-build libc6-dev \
    && rm -rf /var/lib/apt/lists/*

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore \
    PYTHONUNBUFFERED=1

# CPU-only torch from PyTorch's own index first (PyPI's torch for Linux is a multi-GB CUDA build),
# alone: every other package comes from PyPI at the pins of requirements.txt and constraints.txt,
# where the installed torch 2.13.0+cpu already satisfies torch==2.13.0.
ARG TORCH_INDEX=https://download.pytorch.org/whl/cpu
WORKDIR /app
COPY requirements.txt constraints.txt ./
RUN pip install --no-deps --index-url "$TORCH_INDEX" torch==2.13.0+cpu \
    && pip install -r requirements.txt \
    && pip check

# An unprivileged user with uid 1000, the uid Spaces runs containers with. Its home holds what the
# app writes: scikit-learn's data cache (downloaded on the first visit, 14 MB) and the compiled kernel.
# USER is numeric so that a host can tell it is not root (Kubernetes' runAsNonRoot).
RUN useradd --create-home --uid 1000 --user-group app
USER 1000:1000
ENV HOME=/home/app
COPY --chown=1000:1000 . .

EXPOSE 8501
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://localhost:8501/_stcore/health', timeout=4)"]

# On Spaces (which sets SPACE_ID) the app is shown in a frame of huggingface.co, where browsers
# block its cookies: Streamlit's cookie-based XSRF check would then refuse every upload, so it is
# off there (Spaces' documented workaround); everywhere else it stays on.
CMD ["sh", "-c", "exec streamlit run streamlit_app.py --server.port=8501 --server.address=0.0.0.0 ${SPACE_ID:+--server.enableXsrfProtection=false}"]
