# One image for every role: api (gunicorn), worker, scheduler, migrations.
FROM python:3.11-slim
WORKDIR /app
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
COPY pyproject.toml README.md ./
COPY builder_api builder_api
COPY workflow_runtime workflow_runtime
COPY nodes nodes
COPY flows flows
RUN pip install --no-cache-dir .
EXPOSE 5000
CMD ["gunicorn", "--bind", "0.0.0.0:5000", "--workers", "4", "builder_api.wsgi:app"]
