# newsstream services image: one image, the command picks the service.
FROM python:3.11-slim AS base
ENV PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /app
COPY pyproject.toml README.md ./
COPY streams ./streams
COPY config ./config
RUN pip install '.[rocksdb]' \
 && useradd --system --uid 10001 --home /app newsstream \
 && mkdir -p /data && chown newsstream /data
USER newsstream
ENV NEWSSTREAM_DATA_DIR=/data
ENTRYPOINT ["newsstream"]
CMD ["--help"]
