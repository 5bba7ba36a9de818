import {
  Body,
  Controller,
  Get,
  HttpCode,
  Inject,
  Ip,
  Param,
  ParseUUIDPipe,
  Patch,
  Post,
  UnauthorizedException,
} from '@nestjs/common';
import { ApiBearerAuth, ApiResponse, ApiTags } from '@nestjs/swagger';
import { CreateUserDto, LoginDto, UpdateUserDto } from './user.dto.js';
import { UserService } from './user.service.js';
import { CurrentUser, Public, Roles, type AuthUser } from './auth.decorators.js';
import { SignInThrottle } from './sign-in-throttle.service.js';
import { TokenService } from './token.service.js';
import { ApiErrors, ErrorResponseDto } from '../platform/http/api-errors.js';
import { signInThrottled } from '../platform/errors.js';

@ApiTags('auth')
@Controller('api')
export class AuthController {
  constructor(
    @Inject(UserService) private readonly users: UserService,
    @Inject(TokenService) private readonly tokens: TokenService,
    @Inject(SignInThrottle) private readonly throttle: SignInThrottle,
  ) {}

  @Public()
  @ApiResponse({ status: 200, description: 'signed in: a bearer token with its lifetime in seconds' })
  @ApiResponse({ status: 401, description: 'wrong username or password', type: ErrorResponseDto })
  @ApiResponse({ status: 400, description: 'invalid input', type: ErrorResponseDto })
  @ApiResponse({
    status: 429,
    description: 'too many failed sign-ins for this user or address: try again after Retry-After seconds',
    type: ErrorResponseDto,
  })
  @Post('auth/login')
  @HttpCode(200)
  async login(@Body() body: LoginDto, @Ip() address: string) {
    const result = await this.throttle.attempt('api', body.username, address, () =>
      this.users.verify(body.username, body.password),
    );
    if (result.outcome === 'throttled') {
      throw signInThrottled(result.retryAfterSeconds);
    }
    if (result.outcome === 'refused') throw new UnauthorizedException('wrong username or password');
    const { user } = result;
    return {
      ...this.tokens.sign(user),
      user: { id: user.id, username: user.username, displayName: user.displayName, roles: user.roles },
    };
  }

  @ApiBearerAuth()
  @ApiErrors()
  /** Sign out everywhere: every token of the caller, this one included, stops working. */
  @Post('auth/logout-all')
  @HttpCode(204)
  async logoutEverywhere(@CurrentUser() user: AuthUser): Promise<void> {
    await this.users.revokeSessions(user.id);
  }

  @ApiBearerAuth()
  @ApiErrors()
  @Get('me')
  me(@CurrentUser() user: AuthUser) {
    return user;
  }
}

@ApiTags('users')
@ApiBearerAuth()
@Controller('api/users')
@Roles('admin')
export class UsersController {
  constructor(@Inject(UserService) private readonly users: UserService) {}

  @ApiErrors(403)
  @Get()
  async list() {
    return this.users.list();
  }

  @ApiErrors(400, 403, 409)
  @Post()
  async create(@Body() body: CreateUserDto) {
    return this.users.create(body);
  }

  @ApiErrors(400, 403, 404, 409)
  @Patch(':id')
  async update(
    @CurrentUser() admin: AuthUser,
    @Param('id', new ParseUUIDPipe()) id: string,
    @Body() body: UpdateUserDto,
  ) {
    return this.users.update(admin, id, body);
  }

  @ApiErrors(400, 403, 404)
  /** Sign the user out everywhere: every token they hold stops working. */
  @Post(':id/sessions/revoke')
  @HttpCode(204)
  async revokeSessions(@Param('id', new ParseUUIDPipe()) id: string): Promise<void> {
    await this.users.revokeSessions(id);
  }
}
