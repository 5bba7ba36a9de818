import { HTTP_CODE_METADATA, METHOD_METADATA } from '@nestjs/common/constants.js';
import { RequestMethod } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional, ApiResponse } from '@nestjs/swagger';

export class FieldErrorDto {
  @ApiProperty({ example: 'request.title' })
  field!: string;

  @ApiProperty({ example: 'is required' })
  message!: string;
}

/** The one error shape of the API. */
export class ErrorResponseDto {
  @ApiProperty({ example: 400 })
  statusCode!: number;

  @ApiProperty({ example: 'bad request' })
  error!: string;

  @ApiProperty({ example: 'invalid input: request.title: title must be a string' })
  message!: string;

  @ApiPropertyOptional({ type: [FieldErrorDto], description: 'one entry per field or BPMN element in error' })
  details?: FieldErrorDto[];
}

const MEANING: Readonly<Record<number, string>> = {
  400: 'invalid input; nothing was changed (details name each field)',
  401: 'no token, or a bad or expired one',
  403: 'not allowed for this user (the message says why)',
  404: 'unknown id or number',
  409: 'conflict: already completed, claimed by another, not running any more',
  413: 'too large',
  422: 'the process cannot go on with this input',
};

/**
 * Documents the responses of an endpoint: its success (from its route and @HttpCode, which must be applied
 * first, i.e. written below) and its errors; 401 is implied for every endpoint that is not public.
 */
export function ApiErrors(...statuses: number[]): MethodDecorator {
  return (target, key, descriptor) => {
    const handler = descriptor.value as object;
    const method = Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod | undefined;
    const code =
      (Reflect.getMetadata(HTTP_CODE_METADATA, handler) as number | undefined) ??
      (method === RequestMethod.POST ? 201 : 200);
    ApiResponse({ status: code, description: 'success' })(target, key, descriptor);
    for (const status of [401, ...statuses]) {
      ApiResponse({ status, description: MEANING[status] ?? 'error', type: ErrorResponseDto })(
        target,
        key,
        descriptor,
      );
    }
  };
}
