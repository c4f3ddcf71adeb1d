# One image for every cove service: `cove run` (controller + recorder) and `cove worker ACTOR`.
FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY actors actors
COPY events events
COPY store store
COPY domains domains
COPY cove cove
RUN pip install --no-cache-dir .
ENV LITELLM_LOCAL_MODEL_COST_MAP=True PYTHONUNBUFFERED=1
ENTRYPOINT ["cove"]
