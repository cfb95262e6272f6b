# The browser canvas, built once with Node; only its dist/ goes into the image.
FROM node:20-slim AS frontend
WORKDIR /frontend
COPY frontend/package.json frontend/package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY frontend/ ./
RUN npm run build

# One image for every role: api (gunicorn), worker, scheduler, migrations.
FROM python:3.11-slim
WORKDIR /app
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
COPY pyproject.toml README.md ./
COPY builder_api builder_api
COPY workflow_runtime workflow_runtime
COPY nodes nodes
COPY flows flows
COPY --from=frontend /frontend/dist frontend/dist
RUN pip install --no-cache-dir .
EXPOSE 5000
CMD ["gunicorn", "--bind", "0.0.0.0:5000", "--workers", "4", "builder_api.wsgi:app"]
