# One image for web, worker and beat (docker-compose.yml picks the command).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 HUB_VAR_DIR=/app/var
WORKDIR /app

COPY pyproject.toml README.md ./
COPY integration_manager integration_manager
COPY accounts accounts
COPY carts carts
COPY wms wms
COPY orders orders
COPY inventory inventory
COPY alerts alerts
COPY jobs jobs
COPY csvfiles csvfiles
COPY templates templates
COPY static static
COPY manage.py ./
RUN pip install --no-cache-dir . \
 && SECRET_KEY=build FIELD_ENCRYPTION_KEY=MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY= \
    python manage.py collectstatic --noinput \
 && useradd --create-home hub && chown -R hub /app/var
USER hub

EXPOSE 8000
CMD ["gunicorn", "integration_manager.wsgi", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
