# One image for the web site and both kinds of worker.
# TORCH_SPEC picks the torch build: the default wheel from the package index is a CUDA build
# (right for gpu-worker); point PIP_EXTRA_INDEX_URL at a CPU wheel index for CPU-only images.
FROM python:3.11-slim-bookworm

ARG TORCH_SPEC="torch==2.13.0"
ARG PIP_EXTRA_INDEX_URL=""
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 \
    DJANGO_ENV=production PYTHONPATH=/app/platform

RUN apt-get update \
 && apt-get install -y --no-install-recommends espeak-ng libespeak-ng1 libgl1 libglib2.0-0 \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app
RUN pip install "${TORCH_SPEC}"
COPY pyproject.toml README.md ./
COPY animation animation
COPY provenance provenance
RUN pip install . \
 && (pip uninstall -y opencv-python || true) \
 && pip install --force-reinstall --no-deps "opencv-contrib-python>=4.8,<4.12"
COPY . .
RUN SECRET_KEY=build-only-collectstatic-key-not-used-at-runtime-0123456789abcdef \
    DATABASE_URL=sqlite:////tmp/build.sqlite3 python manage.py collectstatic --noinput

RUN useradd --create-home --uid 1000 likeness && mkdir -p /data/private && chown likeness /data/private
USER likeness
EXPOSE 8000
CMD ["gunicorn", "config.wsgi", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
